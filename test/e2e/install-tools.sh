#!/usr/bin/env bash
# Installs the pinned tools of the e2e scripts into .tools/bin (git-ignored): kind (go install, checked
# by Go's checksum database), kubectl and istioctl (release binaries, checked against the SHA-256 the
# projects publish beside them), then helm and kustomize (scripts/go-tools.sh). Idempotent.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OS=
ARCH=

platform() {
  case $(uname -s) in
    Linux) OS=linux ;;
    Darwin) OS=darwin ;;
    *) die "unsupported OS $(uname -s) (Linux or macOS)" ;;
  esac
  case $(uname -m) in
    x86_64 | amd64) ARCH=amd64 ;;
    aarch64 | arm64) ARCH=arm64 ;;
    *) die "unsupported CPU $(uname -m) (amd64 or arm64)" ;;
  esac
}

# installed <name> <version>: whether .tools/bin holds that version of the tool.
installed() {
  [[ -x $TOOLS_BIN/$1 && -f $TOOLS_BIN/.$1.version && $(cat "$TOOLS_BIN/.$1.version") == "$2" ]]
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

# download <url> <file>: downloads url and dies unless it matches the SHA-256 published at <url>.sha256.
download() {
  local expected actual
  curl -fsSLo "$2" "$1"
  expected=$(curl -fsSL "$1.sha256" | cut -d' ' -f1)
  actual=$(sha256_of "$2")
  [[ -n $expected && $expected == "$actual" ]] || die "$1: SHA-256 $actual, published ${expected:-<none>}"
}

install_kind() {
  installed kind "$KIND_VERSION" && return
  require go
  log "installing kind $KIND_VERSION"
  GOBIN=$TOOLS_BIN go install "sigs.k8s.io/kind@$KIND_VERSION"
  echo "$KIND_VERSION" >"$TOOLS_BIN/.kind.version"
}

install_kubectl() {
  installed kubectl "$KUBECTL_VERSION" && return
  log "installing kubectl $KUBECTL_VERSION"
  download "https://dl.k8s.io/release/$KUBECTL_VERSION/bin/$OS/$ARCH/kubectl" "$WORK_DIR/kubectl"
  install -m 0755 "$WORK_DIR/kubectl" "$TOOLS_BIN/kubectl"
  echo "$KUBECTL_VERSION" >"$TOOLS_BIN/.kubectl.version"
}

install_istioctl() {
  installed istioctl "$ISTIO_VERSION" && return
  local os=$OS archive
  [[ $OS != darwin ]] || os=osx
  archive="istioctl-$ISTIO_VERSION-$os-$ARCH.tar.gz"
  log "installing istioctl $ISTIO_VERSION"
  download "https://github.com/istio/istio/releases/download/$ISTIO_VERSION/$archive" "$WORK_DIR/$archive"
  tar -xzf "$WORK_DIR/$archive" -C "$WORK_DIR" istioctl
  install -m 0755 "$WORK_DIR/istioctl" "$TOOLS_BIN/istioctl"
  echo "$ISTIO_VERSION" >"$TOOLS_BIN/.istioctl.version"
}

main() {
  (($# == 0)) || usage_error "usage: bash test/e2e/install-tools.sh" "unexpected argument '$1'"
  require curl tar
  platform
  mkdir -p "$TOOLS_BIN"
  WORK_DIR=$(mktemp -d)
  trap 'rm -rf "$WORK_DIR"' EXIT
  install_kind
  install_kubectl
  install_istioctl
  bash "$REPO_ROOT/scripts/go-tools.sh"
  log "tools in $TOOLS_BIN: $(cd "$TOOLS_BIN" && echo kind kubectl istioctl helm kustomize)"
}

main "$@"
