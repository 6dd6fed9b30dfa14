#!/usr/bin/env bash
# Prints the manifests of one e2e run, without a cluster: the namespace (in the mesh or not, by the
# mode), the ConfigMap holding app/metrics-app.js, and the workload of three application containers
# plus the aggregator as the channel renders it in the mode.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USAGE="usage: bash test/e2e/render.sh <channel> <mode> [--image <name:tag>] [--namespace <name>]
  channel: ${CHANNELS[*]}
  mode:    ${MODES[*]}
  --image      the aggregator's and the application containers' image (default: $(default_image),
               the channels' own default for the aggregator)
  --namespace  the namespace of every object (default: e2e-<channel>-<mode>)"

CHANNEL=
MODE=
IMAGE=
NAMESPACE=

parse_args() {
  local positional=()
  while (($#)); do
    case $1 in
      --image | --namespace)
        (($# >= 2)) || usage_error "$USAGE" "$1 needs a value"
        if [[ $1 == --image ]]; then IMAGE=$2; else NAMESPACE=$2; fi
        shift 2
        ;;
      -h | --help)
        echo "$USAGE"
        exit 0
        ;;
      -*) usage_error "$USAGE" "unknown option '$1'" ;;
      *)
        positional+=("$1")
        shift
        ;;
    esac
  done
  ((${#positional[@]} == 2)) || usage_error "$USAGE" "expected <channel> <mode>, got ${#positional[@]} argument(s)"
  CHANNEL=${positional[0]}
  MODE=${positional[1]}
  check_channel "$USAGE" "$CHANNEL"
  check_mode "$USAGE" "$MODE"
  # The chart takes a repository and a tag: a reference must have both.
  [[ -z $IMAGE || $IMAGE =~ ^[^@]+:[^:/@]+$ ]] || usage_error "$USAGE" "--image must be <name>:<tag>, got '$IMAGE'"
  [[ -n $NAMESPACE ]] || NAMESPACE=$(e2e_namespace "$CHANNEL" "$MODE")
}

# The namespace; Istio injects its sidecar only in the meshed modes.
namespace_manifest() {
  cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  labels:
    $E2E_NAMESPACE_LABEL: "true"
EOF
  if meshed "$MODE"; then
    echo '    istio-injection: enabled'
  else
    # Outside the mesh nothing needs privileges (Istio's init container would): prove it.
    echo '    pod-security.kubernetes.io/enforce: restricted'
  fi
}

# The ConfigMap the application containers run metrics-app.js from (JSON is YAML).
app_configmap_manifest() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [name, namespace, file] = process.argv.slice(1);
    const script = require("node:fs").readFileSync(file, "utf8");
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { "metrics-app.js": script } };
    process.stdout.write(`${JSON.stringify(configMap, null, 2)}\n`);
  ' "$APP_CONFIGMAP" "$NAMESPACE" "$E2E_DIR/app/metrics-app.js"
}

render_constructs() {
  local args=("$NAMESPACE" "$(chart_mode "$MODE")" "$APP_IMAGE")
  [[ -z $IMAGE ]] || args+=("$IMAGE")
  (cd "$REPO_ROOT" && node -r @swc-node/register test/e2e/constructs/main.ts "${args[@]}")
}

render_chart() {
  require helm
  local work="$WORK_DIR/chart" args=() index
  # helm dependency build vendors the library into the chart: do it in a copy, not the work tree.
  mkdir "$work"
  cp -R "$REPO_ROOT/charts" "$work/charts"
  rm -rf "$work/charts/metrics-aggregator/charts"
  helm dependency build "$work/charts/metrics-aggregator" >/dev/null
  for index in "${!APP_CONTAINERS[@]}"; do args+=(--set-string "containers[$index].image=$APP_IMAGE"); done
  [[ -z $IMAGE ]] || args+=(--set-string "image.repository=${IMAGE%:*}" --set-string "image.tag=${IMAGE##*:}")
  helm template "$WORKLOAD" "$work/charts/metrics-aggregator" --namespace "$NAMESPACE" \
    --values "$E2E_DIR/chart/values.yaml" --set-string "mode=$(chart_mode "$MODE")" "${args[@]}"
}

render_kustomize() {
  require kustomize
  local work="$WORK_DIR/kustomize" overlay
  # A throwaway overlay on test/e2e/kustomize/<mode> sets the namespace and the images.
  mkdir "$work"
  overlay=$(node -p 'require("node:path").relative(process.argv[1], process.argv[2])' "$work" "$E2E_DIR/kustomize/$MODE")
  {
    cat <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $NAMESPACE
resources:
  - $overlay
images:
  - name: $APP_IMAGE_PLACEHOLDER
    newName: ${APP_IMAGE%:*}
    newTag: "${APP_IMAGE##*:}"
EOF
    if [[ -n $IMAGE ]]; then
      cat <<EOF
  - name: ${DEFAULT_IMAGE%:*}
    newName: ${IMAGE%:*}
    newTag: "${IMAGE##*:}"
EOF
    fi
  } >"$work/kustomization.yaml"
  kustomize build "$work"
}

main() {
  parse_args "$@"
  require node
  DEFAULT_IMAGE=$(default_image)
  APP_IMAGE=${IMAGE:-$DEFAULT_IMAGE}
  WORK_DIR=$(mktemp -d)
  trap 'rm -rf "$WORK_DIR"' EXIT
  namespace_manifest
  echo '---'
  app_configmap_manifest
  echo '---'
  "render_$CHANNEL"
}

main "$@"
