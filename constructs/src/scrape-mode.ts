/**
 * How Prometheus reaches the aggregator of a pod: the wiring of the pod annotations, the PodMonitor
 * and the PeerAuthentication. Each mode is a combination that works under its mesh setting.
 */
export class ScrapeMode {
  /**
   * Istio's metrics merge (the default): the pod carries `prometheus.io/*` annotations for the
   * aggregator port, Istio's injector hands them to pilot-agent, which serves the merge in plain
   * text on `:15020/stats/prometheus`, outside Envoy and mTLS. The PodMonitor keeps the
   * `istio-proxy` container and relabels its address to `<pod IP>:15020`. The aggregator answers
   * classic text, since pilot-agent puts its own text output in front of ours.
   */
  static istioMetricsMerge(): ScrapeMode {
    return new ScrapeMode('istio-metrics-merge', true, true);
  }

  /**
   * A STRICT PeerAuthentication with a PERMISSIVE exception for the aggregator port, which the
   * PodMonitor scrapes directly over plain HTTP. That one port is then readable without mTLS by
   * anything that can reach the pod: pair it with a NetworkPolicy where that matters.
   */
  static portLevelException(): ScrapeMode {
    return new ScrapeMode('port-level-exception', true, false);
  }

  /** No service mesh: no PeerAuthentication, the PodMonitor scrapes the aggregator port directly. */
  static noMesh(): ScrapeMode {
    return new ScrapeMode('no-mesh', false, false);
  }

  private constructor(
    /** A stable name, for messages and tests. */
    readonly name: string,
    /** Whether the pod is in an Istio mesh with STRICT mTLS. */
    readonly meshed: boolean,
    /** Whether Prometheus goes through pilot-agent's merge on :15020. */
    readonly viaIstioMerge: boolean,
  ) {}
}
