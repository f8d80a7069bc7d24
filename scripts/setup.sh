#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent:
#   scripts/setup.sh demo   npm packages (Node 24 included) and NGINX
#   scripts/setup.sh test   the same, plus the test cluster binaries (kube-apiserver, etcd, kubectl, helm),
#                           podman and the Gatehouse image (scripts/build-image.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in demo | test) ;; *) echo "usage: scripts/setup.sh demo|test" >&2; exit 2 ;; esac
say() { printf '[setup] %s\n' "$*" >&2; }
export PATH="$PATH:/usr/sbin:/sbin"
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
# Debian packages, installed only when their command is missing.
apt_install() {
  say "installing Debian's $*"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# NGINX and the modules its data plane needs: Debian's packages, listed once for this script and the image.
# NGINX's own service is not wanted; Gatehouse runs NGINX itself.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
missing=()
while read -r package; do
  case "$package" in '' | '#'*) continue ;; esac
  installed "$package" || missing+=("$package")
done <scripts/nginx-packages.txt
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
  $as_root service nginx stop >/dev/null 2>&1 || true
fi
say "$(nginx -v 2>&1)"

# npm packages, including the `node` package that pins Node.js 24 for every npm script.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
version=$(node_modules/.bin/node --version)
case "$version" in v24.*) say "node $version (from the node package)" ;; *) echo "setup: expected Node 24, got $version" >&2; exit 1 ;; esac

if [ "$mode" = test ]; then
  # The cluster tests' backends live on a test host in a network namespace (ip netns, veth).
  command -v ip >/dev/null 2>&1 || apt_install iproute2
  # npm run bench drives load with wrk.
  command -v wrk >/dev/null 2>&1 || apt_install wrk
  # The test cluster's certificates and the weak-certificate fixtures are made with the openssl CLI.
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  bash scripts/build-envtest.sh >/dev/null
  say "test cluster binaries: $(ls .cache/envtest/current/bin | tr '\n' ' ')"
  # The image and pod tests: podman with runc, catatonit (the init of podman's pods), debootstrap for the
  # locally made base images.
  missing=()
  for tool in podman runc catatonit debootstrap; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
  say "$(podman --version)"
  say "image: $(bash scripts/build-image.sh)"
fi
say "ready"
