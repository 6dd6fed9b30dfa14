#!/usr/bin/env bash
# One e2e run against the current kube context (prepared by cluster-up.sh): renders the workload
# through <channel> in <mode> into a fresh namespace, then asserts through the Prometheus HTTP API
# that the aggregator's target stays up for 60 seconds, that the series of all three application
# containers arrive with their origin_container, and that stopping one container's metrics drops
# its metrics_aggregator_upstream_up to 0 while the others stay 1, no container restarting.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USAGE="usage: bash test/e2e/run.sh <channel> <mode>
  channel: ${CHANNELS[*]}
  mode:    ${MODES[*]}
  env: E2E_IMAGE (image of the pods, default $(default_image)), E2E_KEEP=1 (keep the namespace
       of a failed run), E2E_ARTIFACTS (where a failed run's diagnostics go, default .e2e-artifacts)"

# How long the aggregator's target must stay up, and the fewest samples that proves it.
HOLD_SECONDS=60
MIN_SAMPLES=$((HOLD_SECONDS / SCRAPE_INTERVAL_SECONDS - 2))

CHANNEL=
MODE=
NS=

parse_args() {
  [[ ${1:-} != -h && ${1:-} != --help ]] || { echo "$USAGE"; exit 0; }
  (($# == 2)) || usage_error "$USAGE" "expected <channel> <mode>, got $# argument(s)"
  CHANNEL=$1
  MODE=$2
  check_channel "$USAGE" "$CHANNEL"
  check_mode "$USAGE" "$MODE"
  check_flag E2E_KEEP
  NS=$(e2e_namespace "$CHANNEL" "$MODE")
}

on_exit() {
  local status=$?
  stop_prometheus_port_forward
  if ((status == 0)); then
    log "PASS $CHANNEL $MODE; deleting namespace $NS"
    kubectl delete namespace "$NS" --wait=false >/dev/null
    return
  fi
  log "FAIL $CHANNEL $MODE (exit $status); collecting diagnostics"
  bash "$E2E_DIR/collect-diagnostics.sh" "$NS" || log "collecting diagnostics failed too"
  if [[ ${E2E_KEEP:-0} == 1 ]]; then
    log "keeping namespace $NS (E2E_KEEP=1)"
  else
    kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  fi
}

deploy() {
  local manifests image_args=()
  [[ -z ${E2E_IMAGE:-} ]] || image_args=(--image "$E2E_IMAGE")
  manifests=$(bash "$E2E_DIR/render.sh" "$CHANNEL" "$MODE" --namespace "$NS" "${image_args[@]}")
  if kubectl get namespace "$NS" >/dev/null 2>&1; then
    log "deleting namespace $NS left by an earlier run"
    kubectl delete namespace "$NS" --timeout=180s >/dev/null
  fi
  log "applying $CHANNEL $MODE into namespace $NS"
  kubectl apply -f - <<<"$manifests" >/dev/null
  kubectl -n "$NS" rollout status "deployment/$WORKLOAD" --timeout=300s
}

# Every check prints what it saw when it fails (wait_until reports the last one).

target_up() {
  expect_samples "up{namespace=\"$NS\"}" namespace "$NS=1"
}

upstreams() { # <expected upstream=value ...>
  expect_samples "metrics_aggregator_upstream_up{namespace=\"$NS\"}" upstream "$1"
}

# The series of every running container, each with its own origin_container (the app labels itself).
series_of() { # <expected origin_container=app ...>
  local seen
  seen=$(prom_pairs "group by (origin_container, app) (e2e_app_info{namespace=\"$NS\"})" origin_container app) ||
    { echo "$seen"; return 1; }
  [[ $seen == "$1" ]] || { echo "e2e_app_info origin_container=app: expected '$1', got '${seen:-no series}'"; return 1; }
}

# expect_range <promql over a window> <expected value> <what>: the one series of the query equals it.
expect_range() {
  expect_samples "$1" namespace "$NS=$2" || { echo "$3"; return 1; }
}

assert_target_held() {
  local samples
  expect_range "min by (namespace) (min_over_time(up{namespace=\"$NS\"}[${HOLD_SECONDS}s]))" 1 \
    "the target was down within the last ${HOLD_SECONDS}s" >&2 || die "the aggregator's target did not stay up"
  samples=$(prom_samples "count by (namespace) (count_over_time(up{namespace=\"$NS\"}[${HOLD_SECONDS}s]))" namespace)
  samples=${samples#*=}
  if [[ ! $samples =~ ^[0-9]+$ ]] || ((samples < MIN_SAMPLES)); then
    die "expected at least $MIN_SAMPLES scrapes of the target in ${HOLD_SECONDS}s, got '$samples'"
  fi
  log "ok: the target held up == 1 for ${HOLD_SECONDS}s ($samples scrapes)"
}

assert_upstream_stays_down() {
  local window=$((3 * SCRAPE_INTERVAL_SECONDS))s selector="namespace=\"$NS\",upstream=\"$STOPPED_CONTAINER\""
  log "checking that $STOPPED_CONTAINER stays down and the others up for $window"
  sleep "${window%s}"
  expect_range "max by (namespace) (max_over_time(metrics_aggregator_upstream_up{$selector}[$window]))" 0 \
    "upstream $STOPPED_CONTAINER came back within $window" >&2 || die "$STOPPED_CONTAINER did not stay down"
  expect_range "min by (namespace) (min_over_time(metrics_aggregator_upstream_up{namespace=\"$NS\",upstream!=\"$STOPPED_CONTAINER\"}[$window]))" 1 \
    "another upstream went down within $window" >&2 || die "the other upstreams did not stay up"
  target_up >&2 || die "the aggregator's target went down when one container stopped"
}

stop_container_metrics() {
  local port
  port=$(kubectl -n "$NS" get "deployment/$WORKLOAD" \
    -o jsonpath="{.spec.template.spec.containers[?(@.name==\"$STOPPED_CONTAINER\")].ports[0].containerPort}")
  [[ -n $port ]] || die "container $STOPPED_CONTAINER declares no port in deployment/$WORKLOAD"
  log "stopping the metrics of container $STOPPED_CONTAINER (POST :$port/stop)"
  # shellcheck disable=SC2016 # JavaScript, not shell
  kubectl -n "$NS" exec "deployment/$WORKLOAD" -c "$STOPPED_CONTAINER" -- node -e '
    fetch(`http://127.0.0.1:${process.argv[1]}/stop`, { method: "POST" })
      .then((res) => { if (!res.ok) throw new Error(`HTTP ${res.status}`); })
      .catch((error) => { console.error(`POST /stop: ${error.message}`); process.exit(1); });
  ' "$port"
}

assert_no_restart() {
  local restarts
  restarts=$(kubectl -n "$NS" get pods \
    -o jsonpath='{range .items[*].status.containerStatuses[*]}{.name}={.restartCount}{" "}{end}')
  log "restart counts: $restarts"
  [[ -n $restarts && ! $restarts =~ =[1-9] ]] || die "a container restarted: $restarts"
}

main() {
  parse_args "$@"
  require kubectl curl jq node
  trap on_exit EXIT
  deploy
  start_prometheus_port_forward
  wait_until 60 "the Prometheus API" prom_query 'vector(1)'

  local all_up='' stopped='' running='' name started
  for name in $(printf '%s\n' "${APP_CONTAINERS[@]}" | sort); do
    all_up+="${all_up:+ }$name=1"
    if [[ $name == "$STOPPED_CONTAINER" ]]; then
      stopped+="${stopped:+ }$name=0"
    else
      stopped+="${stopped:+ }$name=1"
      running+="${running:+ }$name=$name"
    fi
  done

  wait_until 240 "one target of namespace $NS, up" target_up
  started=$SECONDS
  wait_until 60 "every upstream up ($all_up)" upstreams "$all_up"
  wait_until 60 "the series of every container with its origin_container" series_of "$(
    for name in $(printf '%s\n' "${APP_CONTAINERS[@]}" | sort); do printf '%s ' "$name=$name"; done | sed 's/ $//'
  )"
  local remaining=$((started + HOLD_SECONDS + SCRAPE_INTERVAL_SECONDS - SECONDS))
  if ((remaining > 0)); then
    log "holding ${remaining}s so that ${HOLD_SECONDS}s of the target's samples exist"
    sleep "$remaining"
  fi
  assert_target_held

  stop_container_metrics
  wait_until 60 "upstream $STOPPED_CONTAINER down, the others up ($stopped)" upstreams "$stopped"
  wait_until 30 "the series of the running containers only" series_of "$running"
  assert_upstream_stays_down
  assert_no_restart
}

main "$@"
