#!/usr/bin/env bash
# Builds the k8s-validate binary into <repo>/.tools/bin/k8s-validate.
# Needs Go (>= 1.23) and the Go module proxy (only the first time: modules are
# cached in GOMODCACHE). Usage: test/k8s-validate/build.sh [extra go build flags]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/.tools/bin/k8s-validate"
mkdir -p "$(dirname "$out")"
cd "$here"
# -mod=mod: tolerate a go.sum that lacks a line on a fresh clone;
# -buildvcs=false: no git needed (CI may clone into a folder git calls "dubious").
GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" go build -o "$out" "$@" .
echo "built $out" >&2
