#!/usr/bin/env bash
# Prepares a cluster for run.sh: a kind cluster (or, with E2E_EXISTING_CLUSTER=1, the current kube
# context), Istio in sidecar mode, prometheus-operator and the e2e Prometheus outside the mesh, and
# the aggregator image (built from this tree and loaded into kind, unless E2E_IMAGE names one).
# Idempotent: what is already there is kept.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USAGE="usage: bash test/e2e/cluster-up.sh
  env: E2E_CLUSTER (kind cluster name, default metrics-aggregator-e2e), E2E_EXISTING_CLUSTER=1 (use the
       current kube context, create nothing), E2E_IMAGE (use this image, build none),
       E2E_KIND_NODE_IMAGE (default $KIND_NODE_IMAGE_DEFAULT)"

CLUSTER=${E2E_CLUSTER:-metrics-aggregator-e2e}
# The kind cluster to load the image into; empty when the cluster is not kind's.
KIND_CLUSTER=

parse_args() {
  [[ ${1:-} != -h && ${1:-} != --help ]] || { echo "$USAGE"; exit 0; }
  (($# == 0)) || usage_error "$USAGE" "unexpected argument '$1'"
  check_flag E2E_EXISTING_CLUSTER
}

cluster() {
  if [[ ${E2E_EXISTING_CLUSTER:-0} == 1 ]]; then
    local context
    context=$(kubectl config current-context) || die "E2E_EXISTING_CLUSTER=1 but there is no current kube context"
    log "using the current kube context $context"
    if [[ $context == kind-* ]] && command -v kind >/dev/null 2>&1; then KIND_CLUSTER=${context#kind-}; fi
    if [[ -z $KIND_CLUSTER && -z ${E2E_IMAGE:-} ]]; then
      die "context $context is not a kind cluster: push the image somewhere it can pull and set E2E_IMAGE"
    fi
    return
  fi
  require kind docker
  KIND_CLUSTER=$CLUSTER
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    log "kind cluster $CLUSTER exists"
    kind export kubeconfig --name "$CLUSTER"
  else
    log "creating kind cluster $CLUSTER"
    kind create cluster --name "$CLUSTER" --image "${E2E_KIND_NODE_IMAGE:-$KIND_NODE_IMAGE_DEFAULT}" --wait 180s
  fi
}

image() {
  local image
  image=$(e2e_image)
  if [[ -z ${E2E_IMAGE:-} ]]; then
    require docker
    log "building $image"
    # No provenance attestation: with Docker 29's containerd image store it would make the image an
    # index that `kind load docker-image` (ctr import --all-platforms) can fail to import.
    (cd "$REPO_ROOT" && BUILDX_NO_DEFAULT_ATTESTATIONS=1 docker build -f aggregator/Dockerfile \
      --build-arg "VERSION=${image##*:}" -t "$image" .)
  fi
  if [[ -n $KIND_CLUSTER ]] && docker image inspect "$image" >/dev/null 2>&1; then
    log "loading $image into kind cluster $KIND_CLUSTER"
    kind load docker-image "$image" --name "$KIND_CLUSTER"
  else
    log "the cluster pulls $image itself"
  fi
}

istio() {
  require istioctl
  if kubectl -n istio-system get deployment istiod >/dev/null 2>&1; then
    log "Istio is installed (istio-system/istiod): keeping it"
  else
    log "installing Istio $ISTIO_VERSION (profile minimal: istiod, sidecar mode)"
    istioctl install --set profile=minimal -y
  fi
  kubectl -n istio-system rollout status deployment/istiod --timeout=300s
}

prometheus() {
  if kubectl get crd prometheuses.monitoring.coreos.com >/dev/null 2>&1; then
    log "prometheus-operator's CRDs are installed: keeping them and the operator"
  else
    local bundle
    bundle=$(mktemp)
    log "installing prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
    curl -fsSLo "$bundle" \
      "https://github.com/prometheus-operator/prometheus-operator/releases/download/$PROMETHEUS_OPERATOR_VERSION/bundle.yaml"
    kubectl apply --server-side --force-conflicts -f "$bundle" >/dev/null
    rm -f "$bundle"
    kubectl -n default rollout status deployment/prometheus-operator --timeout=300s
  fi
  kubectl wait --for=condition=Established --timeout=120s \
    crd/prometheuses.monitoring.coreos.com crd/podmonitors.monitoring.coreos.com
  log "applying the e2e Prometheus ($PROMETHEUS_NAMESPACE/$PROMETHEUS_NAME)"
  kubectl apply -f "$E2E_DIR/cluster/prometheus.yaml" >/dev/null
  wait_until 180 "the operator's StatefulSet of Prometheus $PROMETHEUS_NAME" \
    kubectl -n "$PROMETHEUS_NAMESPACE" get "statefulset/prometheus-$PROMETHEUS_NAME"
  kubectl -n "$PROMETHEUS_NAMESPACE" rollout status "statefulset/prometheus-$PROMETHEUS_NAME" --timeout=300s
}

main() {
  parse_args "$@"
  require kubectl curl node
  cluster
  image
  istio
  prometheus
  log "cluster ready: bash test/e2e/run.sh <channel> <mode>"
}

main "$@"
