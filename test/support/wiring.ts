// The parts of a rendered pod's wiring that every channel (constructs, chart, kustomize) must emit
// alike, and the constructs' rendering of the seed scenario to compare them with.
import { Chart, Testing } from 'cdk8s';
import {
  MetricsAggregatedDeployment,
  type MetricsAggregatorOptions,
  MetricsEndpoint,
  ScrapeMode,
} from '../../constructs/src';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are arbitrary JSON.
export type Manifest = Record<string, any>;

/** The three scrape modes, by the names every channel uses for them. */
export const MODES = {
  'istio-metrics-merge': ScrapeMode.istioMetricsMerge(),
  'port-level-exception': ScrapeMode.portLevelException(),
  'no-mesh': ScrapeMode.noMesh(),
} as const;
export type ModeName = keyof typeof MODES;

/** The wiring of one pod, without names and chart/tool labels that legitimately differ. */
export interface Wiring {
  readonly sidecar: Manifest;
  readonly podAnnotations: Record<string, string>;
  readonly podMetricsEndpoints: Manifest[] | undefined;
  readonly peerAuthenticationSpec: Manifest | undefined;
}

/**
 * The seed scenario (api :8080, worker :9100, namespace shop) as the construct library synthesizes it.
 * The worker's port is named `worker-metrics`: `metrics` is the sidecar's.
 */
export function seedFromConstructs(mode: ModeName, options: MetricsAggregatorOptions = {}): Manifest[] {
  const chart = new Chart(Testing.app(), 'seed', { namespace: 'shop' });
  new MetricsAggregatedDeployment(chart, 'shop', {
    ...options,
    mode: MODES[mode],
    containers: [
      {
        name: 'api',
        image: 'ghcr.io/example/api:1.4.2',
        ports: [{ number: 8080, name: 'http' }],
        metrics: MetricsEndpoint.fromPort(8080),
      },
      {
        name: 'worker',
        image: 'ghcr.io/example/worker:1.4.2',
        ports: [{ number: 9100, name: 'worker-metrics' }],
        metrics: MetricsEndpoint.fromPort(9100),
      },
    ],
  });
  return Testing.synth(chart);
}

/**
 * The wiring of the (single) workload in `manifests`: its sidecar container (keys sorted, env in
 * order), its pod annotations that start with `prometheus.io/`, the PodMonitor's endpoints and the
 * PeerAuthentication's spec without its selector (selectors are compared separately: they must equal
 * the workload's own match labels, whatever those are).
 */
export function wiringOf(manifests: readonly Manifest[]): Wiring {
  const workloads = manifests.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.kind));
  if (workloads.length !== 1) throw new Error(`expected one workload, found ${workloads.length}`);
  const [workload] = workloads;
  const pod = workload.spec.template;
  const sidecar = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].find(
    (c: Manifest) => c.name === 'metrics-aggregator',
  );
  if (!sidecar) throw new Error('no metrics-aggregator container in the pod');
  const podMonitors = manifests.filter((m) => m.kind === 'PodMonitor');
  const peerAuthentications = manifests.filter((m) => m.kind === 'PeerAuthentication');
  const matchLabels = workload.spec.selector?.matchLabels;
  for (const policy of [...podMonitors, ...peerAuthentications]) {
    if (
      JSON.stringify(sortKeys(policy.spec.selector?.matchLabels)) !== JSON.stringify(sortKeys(matchLabels))
    ) {
      throw new Error(
        `${policy.kind} selects ${JSON.stringify(policy.spec.selector)}, not the workload's ${JSON.stringify(matchLabels)}`,
      );
    }
  }
  const { selector: _, ...peerAuthenticationSpec } = peerAuthentications[0]?.spec ?? {};
  return {
    sidecar: sortKeys(sidecar),
    podAnnotations: Object.fromEntries(
      Object.entries((pod.metadata?.annotations ?? {}) as Record<string, string>).filter(([k]) =>
        k.startsWith('prometheus.io/'),
      ),
    ),
    podMetricsEndpoints: podMonitors[0]?.spec.podMetricsEndpoints,
    peerAuthenticationSpec: peerAuthentications.length > 0 ? sortKeys(peerAuthenticationSpec) : undefined,
  };
}

/** The same JSON with object keys sorted, so that comparisons ignore key order. */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    ) as T;
  }
  return value;
}
