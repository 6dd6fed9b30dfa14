#!/usr/bin/env bash
# Builds the pinned Go tools the tests use into .tools/bin (git-ignored). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools/bin
export GOBIN="$PWD/.tools/bin"
# Pinned; each version's go directive is satisfied by the installed Go.
HELM_VERSION=v3.22.0
KUSTOMIZE_VERSION=v5.5.0 # what kubectl 1.32 bundles: the oldest kustomize the manifests must work with
ACTIONLINT_VERSION=v1.7.12 # lints .github/workflows (and their run: scripts, with shellcheck)

install() { # name module@version
  if [ -x ".tools/bin/$1" ] && [ -f ".tools/bin/.$1.version" ] && [ "$(cat ".tools/bin/.$1.version")" = "$2" ]; then return; fi
  echo "Building $2 into .tools/bin" >&2
  go install "$2"
  echo "$2" >".tools/bin/.$1.version"
}
install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
install actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
bash test/k8s-validate/build.sh
