# shellcheck shell=bash
# shellcheck disable=SC2034 # the constants are for the scripts that source this file
# Shared by the end-to-end scripts (sourced): pinned versions, the names of what they create, logging,
# argument checks, polling with deadlines and the Prometheus HTTP API.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
TOOLS_BIN="$REPO_ROOT/.tools/bin"
# The pinned tools of install-tools.sh and scripts/go-tools.sh come before anything installed.
export PATH="$TOOLS_BIN:$PATH"

# Pinned versions (install-tools.sh, cluster-up.sh). Istio 1.30 supports Kubernetes 1.32 to 1.36.
KIND_VERSION=v0.33.0
# Built for kind v0.33.0 (its release notes list it with this digest).
KIND_NODE_IMAGE_DEFAULT="kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed"
KUBECTL_VERSION=v1.36.4
ISTIO_VERSION=1.30.5
# The release of the CRDs the manifests are validated against (../shared/crds).
PROMETHEUS_OPERATOR_VERSION=v0.93.0

CHANNELS=(constructs chart kustomize)
MODES=(istio-merge port-level-exception no-mesh)
# The application containers of the e2e pod (test/e2e/constructs, chart, kustomize) and the one
# whose metrics run.sh stops.
APP_CONTAINERS=(api worker cache)
STOPPED_CONTAINER=worker
# The Deployment every channel renders, and the ConfigMap holding app/metrics-app.js.
WORKLOAD=e2e-app
APP_CONFIGMAP=e2e-metrics-app
# The image name app containers carry in the channels' inputs, replaced by render.sh.
APP_IMAGE_PLACEHOLDER=e2e-metrics-app
# Marks the namespaces run.sh creates, for collect-diagnostics.sh.
E2E_NAMESPACE_LABEL=metrics-aggregator.io/e2e
# The Prometheus of cluster/prometheus.yaml, outside the mesh.
PROMETHEUS_NAMESPACE=e2e-monitoring
PROMETHEUS_NAME=e2e
SCRAPE_INTERVAL_SECONDS=5

log() {
  printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# usage_error <usage> <message>: a wrong invocation, exit 2.
usage_error() {
  printf 'error: %s\n%s\n' "$2" "$1" >&2
  exit 2
}

# contains <value> <candidate>...: whether value is one of the candidates.
contains() {
  local value=$1 candidate
  shift
  for candidate in "$@"; do [[ $candidate == "$value" ]] && return 0; done
  return 1
}

# check_channel <usage> <channel>: exits 2 naming the channel unless it is one of CHANNELS.
check_channel() {
  contains "$2" "${CHANNELS[@]}" || usage_error "$1" "unknown channel '$2' (expected one of: ${CHANNELS[*]})"
}

# check_mode <usage> <mode>: exits 2 naming the mode unless it is one of MODES.
check_mode() {
  contains "$2" "${MODES[@]}" || usage_error "$1" "unknown mode '$2' (expected one of: ${MODES[*]})"
}

# check_flag <name>: exits 2 unless the environment variable is unset, empty, 0 or 1.
check_flag() {
  local value=${!1:-}
  contains "$value" '' 0 1 || usage_error "" "$1 must be 0 or 1, got '$value'"
}

# meshed <mode>: whether the mode puts the pod in the Istio mesh with STRICT mTLS.
meshed() {
  [[ $1 != no-mesh ]]
}

# chart_mode <mode>: the name the chart, kustomize/ and the constructs' tests give the mode.
chart_mode() {
  if [[ $1 == istio-merge ]]; then echo istio-metrics-merge; else echo "$1"; fi
}

# e2e_namespace <channel> <mode>: the namespace run.sh creates for one run.
e2e_namespace() {
  echo "e2e-$1-$2"
}

# The image cluster-up.sh builds: what every channel's default image is.
default_image() {
  local version
  version=$(node -p "require('$REPO_ROOT/package.json').version") || die "cannot read the version of $REPO_ROOT/package.json"
  echo "ghcr.io/metrics-aggregator/metrics-aggregator:$version"
}

# The image the pods run: E2E_IMAGE, else the default one.
e2e_image() {
  if [[ -n ${E2E_IMAGE:-} ]]; then echo "$E2E_IMAGE"; else default_image; fi
}

# require <command>...: dies naming the first command not on PATH.
require() {
  local command
  for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || die "$command is not installed (bash test/e2e/install-tools.sh installs kind, kubectl and istioctl into .tools/bin)"
  done
}

# wait_until <seconds> <description> <command>...: runs the command every 5 seconds until it
# succeeds; dies after the deadline with the description and the command's last output.
wait_until() {
  local timeout=$1 description=$2 deadline output
  shift 2
  deadline=$((SECONDS + timeout))
  log "waiting (up to ${timeout}s) for $description"
  while true; do
    if output=$("$@" 2>&1); then
      log "ok: $description"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      die "timed out after ${timeout}s waiting for $description; last observation: ${output:-<nothing>}"
    fi
    sleep 5
  done
}

PORT_FORWARD_PID=
PORT_FORWARD_LOG=
PROMETHEUS_URL=

# Forwards a free local port on 127.0.0.1 to the e2e Prometheus; sets PROMETHEUS_URL.
start_prometheus_port_forward() {
  local port=
  PORT_FORWARD_LOG=$(mktemp)
  kubectl -n "$PROMETHEUS_NAMESPACE" port-forward --address 127.0.0.1 svc/prometheus-operated :9090 \
    >"$PORT_FORWARD_LOG" 2>&1 &
  PORT_FORWARD_PID=$!
  local deadline=$((SECONDS + 30))
  while [[ -z $port ]]; do
    kill -0 "$PORT_FORWARD_PID" 2>/dev/null || die "kubectl port-forward to Prometheus exited: $(cat "$PORT_FORWARD_LOG")"
    ((SECONDS < deadline)) || die "kubectl port-forward to Prometheus did not start within 30s: $(cat "$PORT_FORWARD_LOG")"
    port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$PORT_FORWARD_LOG" | head -n 1)
    [[ -n $port ]] || sleep 1
  done
  PROMETHEUS_URL="http://127.0.0.1:$port"
  log "Prometheus API at $PROMETHEUS_URL"
}

stop_prometheus_port_forward() {
  if [[ -n $PORT_FORWARD_PID ]]; then
    kill "$PORT_FORWARD_PID" 2>/dev/null || true
    wait "$PORT_FORWARD_PID" 2>/dev/null || true
    PORT_FORWARD_PID=
  fi
  [[ -z $PORT_FORWARD_LOG ]] || rm -f "$PORT_FORWARD_LOG"
}

# prom_query <promql>: prints the result vector of an instant query as JSON.
prom_query() {
  local response
  response=$(curl -fsS --max-time 10 --get --data-urlencode "query=$1" "$PROMETHEUS_URL/api/v1/query") ||
    { echo "query failed: $1"; return 1; }
  jq -ce 'if .status == "success" then .data.result else error("Prometheus: \(.error)") end' <<<"$response"
}

# prom_samples <promql> <label>: prints `<label value>=<sample value>` per series, sorted, space-separated.
# (The jq variable is not $label: jq 1.6 reads `label` as its keyword and fails to compile.)
prom_samples() {
  local result
  result=$(prom_query "$1") || { echo "$result"; return 1; }
  jq -r --arg name "$2" '[.[] | "\(.metric[$name] // "")=\(.value[1])"] | sort | join(" ")' <<<"$result"
}

# prom_pairs <promql> <label> <other label>: prints `<label value>=<other label value>` per series, sorted.
prom_pairs() {
  local result
  result=$(prom_query "$1") || { echo "$result"; return 1; }
  jq -r --arg a "$2" --arg b "$3" '[.[] | "\(.metric[$a] // "")=\(.metric[$b] // "")"] | sort | join(" ")' <<<"$result"
}

# expect_samples <promql> <label> <expected>: succeeds when prom_samples prints exactly `expected`;
# otherwise prints what it saw.
expect_samples() {
  local seen
  seen=$(prom_samples "$1" "$2") || { echo "$seen"; return 1; }
  [[ $seen == "$3" ]] || { echo "$1 by $2: expected '$3', got '${seen:-no series}'"; return 1; }
}
