#!/usr/bin/env bash
# Regenerates the typed CRD classes in constructs/src/imports/ from the upstream CRDs in ../shared/crds/.
#
#   bash constructs/scripts/import-crds.sh              # from the repo root (or anywhere): rewrite src/imports
#   bash constructs/scripts/import-crds.sh <out-dir>    # write into <out-dir> instead (used by test/imports.test.ts)
#
# The output is committed; constructs/test/imports.test.ts regenerates it into a temp dir and fails on any
# difference. Offline and deterministic: `cdk8s import` reads local files only, --no-check-upgrade skips the
# npm version check, --no-save and a scratch working directory keep any cdk8s.yaml from being read or written,
# and CDK8S_* environment variables (which cdk8s-cli treats as options) are cleared.
#
# One `cdk8s import` run writes one file per API group, so CRDs that share a group are concatenated into one
# multi-document input first (a second run for the same group would overwrite the first file):
#   monitoring.coreos.com.ts  <- PodMonitor + PrometheusRule (prometheus-operator; see ../shared/crds/README.md)
#   security.istio.io.ts      <- PeerAuthentication (Istio; v1 is `PeerAuthentication`, v1beta1 is
#                                `PeerAuthenticationV1Beta1`, because cdk8s suffixes every version after the first)
# ServiceMonitor and AuthorizationPolicy are deliberately not imported: nothing uses them yet.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
constructs_dir="$(dirname "$script_dir")"
repo_root="$(dirname "$constructs_dir")"
crds_dir="$repo_root/../shared/crds"
cdk8s="$repo_root/node_modules/.bin/cdk8s"
[[ -x "$cdk8s" ]] || cdk8s="$constructs_dir/node_modules/.bin/cdk8s"

out_dir="${1:-$constructs_dir/src/imports}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

if [[ ! -d "$crds_dir" ]]; then
  echo "import-crds: $crds_dir not found (the shared CRDs must be checked out beside the repo as ../shared)" >&2
  exit 1
fi
if [[ ! -x "$cdk8s" ]]; then
  echo "import-crds: cdk8s-cli not installed (run npm ci at the repo root)" >&2
  exit 1
fi

while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^CDK8S_' || true)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# concat <target> <crd file>...: one multi-document YAML, each input unchanged between `---` separators.
concat() {
  local target="$1"
  shift
  local f
  : >"$target"
  for f in "$@"; do
    printf -- '---\n' >>"$target"
    cat "$crds_dir/$f" >>"$target"
    printf '\n' >>"$target"
  done
}

concat "$work/monitoring.coreos.com.yaml" \
  monitoring.coreos.com_podmonitors.yaml \
  monitoring.coreos.com_prometheusrules.yaml
concat "$work/security.istio.io.yaml" \
  security.istio.io_peerauthentications.yaml

# Generate into a fresh directory, then replace the *.ts files in out_dir, so a dropped CRD leaves no stale file.
mkdir "$work/out"
for input in monitoring.coreos.com.yaml security.istio.io.yaml; do
  if ! (cd "$work" && "$cdk8s" import --no-check-upgrade --no-save --language typescript --output "$work/out" \
    "$input") >"$work/log" 2>&1; then
    cat "$work/log" >&2
    echo "import-crds: cdk8s import of $input failed" >&2
    exit 1
  fi
done

rm -f "$out_dir"/*.ts
cp "$work/out"/*.ts "$out_dir"/
echo "import-crds: wrote $(cd "$work/out" && ls -- *.ts | tr '\n' ' ')to $out_dir"
