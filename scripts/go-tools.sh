#!/usr/bin/env bash
# Builds the pinned Go tools the tests use into .tools/bin (git-ignored). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools/bin
export GOBIN="$PWD/.tools/bin"
# Tools arrive here with the issues that need them (helm, kubeconform, kustomize, actionlint).
if [ -f test/k8s-validate/build.sh ]; then bash test/k8s-validate/build.sh; fi
