#!/usr/bin/env bash
# Dumps what explains a failed e2e run into ${E2E_ARTIFACTS:-.e2e-artifacts}: nodes, and for each
# namespace (the given ones, else every namespace run.sh made plus Prometheus's, Istio's and the
# operator's) its objects, events and the logs of every container; and Prometheus's targets. Best
# effort: a failing command is noted in its file and the rest goes on.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=${E2E_ARTIFACTS:-$REPO_ROOT/.e2e-artifacts}

# capture <file> <command>...: the command's output into OUT/file, its failure noted there.
capture() {
  local file="$OUT/$1"
  shift
  mkdir -p "$(dirname "$file")"
  "$@" >"$file" 2>&1 || echo "(failed: $*)" >>"$file"
}

namespace_dump() {
  local ns=$1 pod container
  log "collecting namespace $ns"
  capture "$ns/objects.txt" kubectl -n "$ns" get all,configmaps,podmonitors,peerauthentications -o wide
  capture "$ns/objects.yaml" kubectl -n "$ns" get deployments,pods,podmonitors,peerauthentications -o yaml
  capture "$ns/events.txt" kubectl -n "$ns" get events --sort-by=.lastTimestamp
  capture "$ns/describe-pods.txt" kubectl -n "$ns" describe pods
  for pod in $(kubectl -n "$ns" get pods -o name 2>/dev/null); do
    for container in $(kubectl -n "$ns" get "$pod" -o jsonpath='{.spec.initContainers[*].name} {.spec.containers[*].name}'); do
      capture "$ns/logs/${pod#pod/}/$container.log" kubectl -n "$ns" logs "$pod" -c "$container"
      capture "$ns/logs/${pod#pod/}/$container.previous.log" kubectl -n "$ns" logs "$pod" -c "$container" --previous
    done
  done
}

prometheus_dump() {
  kubectl -n "$PROMETHEUS_NAMESPACE" get service prometheus-operated >/dev/null 2>&1 || return 0
  start_prometheus_port_forward
  capture prometheus/targets.json curl -fsS --max-time 10 "$PROMETHEUS_URL/api/v1/targets"
  capture prometheus/up.json curl -fsS --max-time 10 "$PROMETHEUS_URL/api/v1/query?query=up"
  capture prometheus/upstream-up.json curl -fsS --max-time 10 \
    "$PROMETHEUS_URL/api/v1/query?query=metrics_aggregator_upstream_up"
  stop_prometheus_port_forward
}

main() {
  require kubectl curl
  trap stop_prometheus_port_forward EXIT
  local namespaces=("$@")
  if ((${#namespaces[@]} == 0)); then
    mapfile -t namespaces < <(kubectl get namespaces -l "$E2E_NAMESPACE_LABEL=true" -o name | sed 's|^namespace/||')
    namespaces+=("$PROMETHEUS_NAMESPACE" istio-system default)
  fi
  mkdir -p "$OUT"
  capture cluster/nodes.txt kubectl get nodes -o wide
  capture cluster/namespaces.txt kubectl get namespaces --show-labels
  local ns
  for ns in "${namespaces[@]}"; do namespace_dump "$ns"; done
  prometheus_dump || log "could not reach Prometheus"
  log "diagnostics in $OUT"
}

main "$@"
