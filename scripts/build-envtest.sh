#!/usr/bin/env bash
# Build the "envtest" binaries used by Gatehouse integration tests:
#   kube-apiserver, kubectl (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3)
#   and helm (helm.sh/helm/v3), from the pinned Go module tools/envtest.
#
# Output: ${GATEHOUSE_ENVTEST_DIR:-<repo>/.cache/envtest}/<key>/bin
#   where <key> encodes the versions, e.g. k8s-v1.37.2_etcd-v3.7.0_helm-v3.22.0.
#   A symlink ${GATEHOUSE_ENVTEST_DIR}/current -> <key> is (re)written, and the
#   bin dir is printed as the last (only) line on stdout; progress goes to stderr.
#
# Idempotent: does nothing (beyond refreshing `current`) when all four binaries
# exist. A cold build takes several minutes on a 2-core machine; later builds
# reuse the Go build cache (GOCACHE).
#
# Environment:
#   GATEHOUSE_ENVTEST_DIR   cache root (default <repo>/.cache/envtest)
#   GATEHOUSE_ENVTEST_JOBS  go build -p value (default: min(nproc, 2))
#   GATEHOUSE_ENVTEST_FORCE=1  rebuild even if the binaries exist
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
MOD_DIR="$REPO_ROOT/tools/envtest"
CACHE_ROOT=${GATEHOUSE_ENVTEST_DIR:-$REPO_ROOT/.cache/envtest}

START_TS=$(date +%s)
log() { printf '[build-envtest +%ss] %s\n' "$(( $(date +%s) - START_TS ))" "$*" >&2; }
die() { printf 'build-envtest: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f "$MOD_DIR/go.mod" ]] || die "missing $MOD_DIR/go.mod"

# Version of a module as required in tools/envtest/go.mod (no network needed).
mod_version() {
  awk -v m="$1" '
    $1 == "require" && $2 == m { print $3; exit }
    $1 == m && $2 ~ /^v[0-9]/   { print $2; exit }
  ' "$MOD_DIR/go.mod"
}

K8S_VERSION=$(mod_version k8s.io/kubernetes)
ETCD_VERSION=$(mod_version go.etcd.io/etcd/server/v3)
HELM_VERSION=$(mod_version helm.sh/helm/v3)
[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" && -n "$HELM_VERSION" ]] \
  || die "could not read versions from $MOD_DIR/go.mod (k8s='$K8S_VERSION' etcd='$ETCD_VERSION' helm='$HELM_VERSION')"

KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
KEY_DIR="$CACHE_ROOT/$KEY"
BIN_DIR="$KEY_DIR/bin"
BINARIES=(kube-apiserver etcd kubectl helm)

all_present() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}

finish() {
  ln -sfn "$KEY" "$CACHE_ROOT/current.tmp.$$"
  mv -Tf "$CACHE_ROOT/current.tmp.$$" "$CACHE_ROOT/current"
  printf '%s\n' "$BIN_DIR"
}

mkdir -p "$BIN_DIR"

if [[ "${GATEHOUSE_ENVTEST_FORCE:-}" != 1 ]] && all_present; then
  log "envtest binaries for $KEY already built"
  finish
  exit 0
fi

# Serialise concurrent runs for the same cache root.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$KEY_DIR/.lock"
  if ! flock -n 9; then
    log "another build-envtest is running; waiting for it"
    flock 9
  fi
  if [[ "${GATEHOUSE_ENVTEST_FORCE:-}" != 1 ]] && all_present; then
    log "envtest binaries for $KEY already built"
    finish
    exit 0
  fi
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || die "the go command was not found (need Go >= 1.26 on PATH)"

# 2 cores / 24 GiB: go build's own package parallelism, capped at 2, one binary
# at a time (linking kube-apiserver alone takes ~2 GiB).
NPROC=$(nproc 2>/dev/null || echo 2)
JOBS=${GATEHOUSE_ENVTEST_JOBS:-$(( NPROC < 2 ? NPROC : 2 ))}

log "building envtest $KEY into $BIN_DIR ($(go version | awk '{print $3}'), -p $JOBS)"

cd "$MOD_DIR"

T0=$(date +%s)
log "downloading Go modules (first run only)…"
go mod download -x >/dev/null 2>"$KEY_DIR/go-mod-download.log" \
  || { tail -n 30 "$KEY_DIR/go-mod-download.log" >&2; die "go mod download failed (see $KEY_DIR/go-mod-download.log)"; }
log "modules ready ($(( $(date +%s) - T0 ))s)"

# Version stamping, as k8s' hack/lib/version.sh and helm's Makefile do, so that
# /version reports v1.37.x (helm/kubectl check server versions) and helm's
# default .Capabilities.KubeVersion matches the client-go version.
K8S_MAJOR=${K8S_VERSION#v}; K8S_MAJOR=${K8S_MAJOR%%.*}
K8S_MINOR=${K8S_VERSION#v*.}; K8S_MINOR=${K8S_MINOR%%.*}
BUILD_DATE=1970-01-01T00:00:00Z
K8S_X=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_X+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR"
  K8S_X+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$BUILD_DATE"
done
HELM_X="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
HELM_X+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$K8S_MAJOR -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR"
HELM_X+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$K8S_MAJOR -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR"

build_one() {
  local name=$1 pkg=$2 xflags=$3 hint=$4
  if [[ "${GATEHOUSE_ENVTEST_FORCE:-}" != 1 && -x "$BIN_DIR/$name" ]]; then
    log "$name already built"
    return 0
  fi
  local t0 blog="$KEY_DIR/build-$name.log"
  t0=$(date +%s)
  log "building $name ($hint)…"
  if ! CGO_ENABLED=0 go build -p "$JOBS" -trimpath -ldflags="-s -w $xflags" \
        -o "$BIN_DIR/$name.tmp" "$pkg" >"$blog" 2>&1; then
    tail -n 40 "$blog" >&2
    rm -f "$BIN_DIR/$name.tmp"
    die "go build $pkg failed (full log: $blog)"
  fi
  mv -f "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
  log "built $name in $(( $(date +%s) - t0 ))s"
}

build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$K8S_X" "first run only, several minutes"
build_one kubectl        k8s.io/kubernetes/cmd/kubectl        "$K8S_X" "first run only"
build_one etcd           ./etcd                               ""       "first run only"
build_one helm           helm.sh/helm/v3/cmd/helm             "$HELM_X" "first run only"

all_present || die "some binaries are missing in $BIN_DIR after the build"
log "done: $(cd "$BIN_DIR" && echo "${BINARIES[*]}") in $(( $(date +%s) - START_TS ))s"
finish
