#!/usr/bin/env bash
# Builds the Gatehouse image from docker/Dockerfile with podman, and prints its name as the last line.
#
#   scripts/build-image.sh            → localhost/gatehouse:dev
#   GATEHOUSE_IMAGE=my/gatehouse:1 scripts/build-image.sh
#
# No image registry is reachable from these machines, so the two base images the Dockerfile takes as build
# arguments are made here: a Debian bookworm minbase root made with debootstrap (from the mirror apt already
# uses), and that plus the Node.js binary of the pinned `node` npm package and the machine's npm. They are
# kept in podman's storage and made again only when missing (or when the pinned Node version changes).
# Elsewhere pass public images instead and nothing is made locally:
#   GATEHOUSE_RUNTIME_IMAGE=debian:bookworm-slim GATEHOUSE_NODE_IMAGE=node:24-bookworm-slim scripts/build-image.sh
#
# Engine settings come from docker/containers.conf (CONTAINERS_CONF). Runs serialised (flock), so parallel
# test files can all call it; a build with nothing changed takes a few seconds (podman's layer cache).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CONTAINERS_CONF="$root/docker/containers.conf"
export PATH="$PATH:/usr/sbin:/sbin"
say() { printf '[build-image +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }

image=${GATEHOUSE_IMAGE:-localhost/gatehouse:dev}
command -v podman >/dev/null || die "podman is not installed (scripts/setup.sh test installs it)"

mkdir -p .cache
exec 9>.cache/build-image.lock
flock 9

node_version=$(node_modules/.bin/node -p 'require("./node_modules/node/package.json").version' 2>/dev/null) \
  || die "node_modules is missing: run scripts/setup.sh first"
runtime_image=${GATEHOUSE_RUNTIME_IMAGE:-localhost/gatehouse-base/debian:bookworm-slim}
node_image=${GATEHOUSE_NODE_IMAGE:-localhost/gatehouse-base/node:$node_version-bookworm-slim}

# The Debian mirror apt uses on this machine (deb822 sources or a classic sources.list line).
debian_mirror() {
  local uri
  uri=$(grep -h -A3 -E '^Types:.*\bdeb\b' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ { print $2 }' | grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

make_debian_base() {
  command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/setup.sh test installs it)"
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /tmp/gatehouse-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' RETURN
  say "making $runtime_image with debootstrap (minbase, bookworm, $mirror)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; die "debootstrap failed"; }
  rm -f "$rootfs.log"
  # As the slim images do: no apt lists, no caches, sources pointing at the same mirror.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$runtime_image" >/dev/null
}

make_node_base() {
  local ctx npm_dir
  ctx=$(mktemp -d /tmp/gatehouse-node-base.XXXXXX)
  trap 'rm -rf "$ctx"' RETURN
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -f "$npm_dir/package.json" ] || die "cannot find npm's folder (from $(command -v npm))"
  say "making $node_image: $runtime_image + node $node_version (npm package) + npm $(npm --version)"
  cp -L node_modules/node/bin/node "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $runtime_image
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
DOCKERFILE
  podman build --quiet --network host -t "$node_image" "$ctx" >/dev/null
}

if [ -z "${GATEHOUSE_RUNTIME_IMAGE:-}" ] && ! podman image exists "$runtime_image"; then make_debian_base; fi
if [ -z "${GATEHOUSE_NODE_IMAGE:-}" ] && ! podman image exists "$node_image"; then make_node_base; fi

version=$(node_modules/.bin/node -p 'require("./package.json").version')
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- src scripts/bundle.ts templates docker package.json package-lock.json 2>/dev/null)" ] || revision="$revision-dirty"
# The CA bundle npm trusts here (this machine reaches the registry through a TLS-inspecting proxy) goes to
# the build as a secret: it is used by `npm ci` and stored in no layer.
secret=()
ca=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
if [ -n "$ca" ] && [ "$ca" != null ] && [ -f "$ca" ]; then secret=(--secret "id=npm-ca,src=$ca"); fi
say "building $image (gatehouse $version, $revision) on $node_image and $runtime_image"
podman build --network host --layers \
  --ignorefile docker/Dockerfile.dockerignore "${secret[@]}" \
  --build-arg "NODE_IMAGE=$node_image" \
  --build-arg "RUNTIME_IMAGE=$runtime_image" \
  --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  -f docker/Dockerfile -t "$image" . >.cache/build-image.log 2>&1 \
  || { tail -n 40 .cache/build-image.log >&2; die "podman build failed (log: .cache/build-image.log)"; }
say "built $image"
printf '%s\n' "$image"
