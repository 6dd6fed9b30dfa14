import { ApiObject, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { KubeDeployment } from 'cdk8s-plus-27/lib/imports/k8s';
import { parseMetricsEndpoints } from '../../aggregator/src/config/metrics-endpoints';
import {
  DEFAULT_IMAGE,
  MetricsAggregatedDeployment,
  type MetricsAggregatedDeploymentProps,
  MetricsAggregator,
  MetricsEndpoint,
  ScrapeMode,
} from '../src';

// The seed scenario: an API on :8080 and a worker on :9100, each with its /metrics.
const seed = (extra: Partial<MetricsAggregatedDeploymentProps> = {}): MetricsAggregatedDeploymentProps => ({
  containers: [
    {
      name: 'api',
      image: 'example/api:1.0',
      ports: [{ number: 8080, name: 'http' }],
      metrics: MetricsEndpoint.fromPort(8080),
    },
    {
      name: 'worker',
      image: 'example/worker:1.0',
      ports: [{ number: 9100, name: 'worker-metrics' }],
      metrics: MetricsEndpoint.fromPortName('worker-metrics'),
    },
  ],
  ...extra,
});

type Manifest = Record<string, any>;

function synth(props: MetricsAggregatedDeploymentProps): Manifest[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
  new MetricsAggregatedDeployment(chart, 'shop', props);
  return Testing.synth(chart);
}

const byKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const sidecarOf = (deployment: Manifest) =>
  [...deployment.spec.template.spec.containers, ...(deployment.spec.template.spec.initContainers ?? [])].find(
    (c: Manifest) => c.name === 'metrics-aggregator',
  );
const envOf = (container: Manifest) =>
  Object.fromEntries(container.env.map((e: Manifest) => [e.name, e.value]));

describe.each([
  ['istio-metrics-merge', ScrapeMode.istioMetricsMerge()],
  ['port-level-exception', ScrapeMode.portLevelException()],
  ['no-mesh', ScrapeMode.noMesh()],
])('scrape mode %s', (name, mode) => {
  it('synthesizes the same manifests as before (snapshot)', () => {
    expect(synth(seed({ mode }))).toMatchSnapshot();
  });

  it('selects the pods through the Deployment’s own match labels', () => {
    const manifests = synth(seed({ mode }));
    const [deployment] = byKind(manifests, 'Deployment');
    const matchLabels = deployment.spec.selector.matchLabels;
    for (const m of [...byKind(manifests, 'PodMonitor'), ...byKind(manifests, 'PeerAuthentication')]) {
      expect(m.spec.selector).toEqual({ matchLabels });
      expect(m.metadata.namespace).toBe('shop');
    }
    expect(name).toBe(mode.name);
  });

  it('derives a METRICS_ENDPOINTS that the aggregator’s own parser accepts', () => {
    const [deployment] = byKind(synth(seed({ mode })), 'Deployment');
    const upstreams = parseMetricsEndpoints(envOf(sidecarOf(deployment)).METRICS_ENDPOINTS);
    expect(upstreams.map((u) => [u.name, u.url])).toEqual([
      ['api', 'http://localhost:8080/metrics'],
      ['worker', 'http://localhost:9100/metrics'],
    ]);
  });
});

describe('the sidecar', () => {
  const [deployment] = byKind(synth(seed()), 'Deployment');
  const sidecar = sidecarOf(deployment);

  it('meets Pod Security "restricted" and runs the image of this package version', () => {
    expect(sidecar.image).toBe(DEFAULT_IMAGE);
    expect(DEFAULT_IMAGE).toMatch(/:0\.1\.0$/);
    expect(sidecar.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('has a named port, probes on /healthz and /readyz, and small resources', () => {
    expect(sidecar.ports).toEqual([{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
    expect(sidecar.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(sidecar.resources).toEqual({
      requests: { cpu: '10m', memory: '32Mi' },
      limits: { cpu: '100m', memory: '128Mi' },
    });
  });

  it('takes the port, origin label, timeout, image and resources given', () => {
    const [d] = byKind(
      synth(
        seed({
          port: 9191,
          originLabel: 'container',
          upstreamTimeout: Duration.seconds(3),
          image: 'registry.local/metrics-aggregator:dev',
          resources: {
            cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
            memory: { limit: Size.mebibytes(64) },
          },
        }),
      ),
      'Deployment',
    );
    const s = sidecarOf(d);
    expect(s.image).toBe('registry.local/metrics-aggregator:dev');
    expect(s.ports[0].containerPort).toBe(9191);
    expect(envOf(s)).toMatchObject({
      METRICS_AGGREGATOR_PORT: '9191',
      METRICS_AGGREGATOR_ORIGIN_LABEL: 'container',
      METRICS_AGGREGATOR_UPSTREAM_TIMEOUT: '3000ms',
    });
    expect(s.resources).toEqual({ requests: { cpu: '20m' }, limits: { cpu: '200m', memory: '64Mi' } });
  });

  it('runs as a native sidecar: an init container that restarts always', () => {
    const [d] = byKind(synth(seed({ nativeSidecar: true })), 'Deployment');
    expect(d.spec.template.spec.containers.map((c: Manifest) => c.name)).toEqual(['api', 'worker']);
    expect(d.spec.template.spec.initContainers).toEqual([
      expect.objectContaining({ name: 'metrics-aggregator', restartPolicy: 'Always' }),
    ]);
  });

  it('makes the application containers restricted too unless told not to', () => {
    const [d] = byKind(synth(seed()), 'Deployment');
    expect(d.spec.template.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    for (const c of d.spec.template.spec.containers)
      expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    const [plain] = byKind(synth(seed({ restricted: false })), 'Deployment');
    expect(plain.spec.template.spec.securityContext.seccompProfile).toBeUndefined();
  });
});

describe('Istio metrics merge wiring', () => {
  const manifests = synth(seed());
  const [deployment] = byKind(manifests, 'Deployment');

  it('annotates the pod for the aggregator port and answers classic text', () => {
    expect(deployment.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
    });
    expect(envOf(sidecarOf(deployment)).METRICS_AGGREGATOR_FORCE_TEXT).toBe('true');
  });

  it('scrapes istio-proxy, relabelled to <pod IP>:15020/stats/prometheus', () => {
    const [podMonitor] = byKind(manifests, 'PodMonitor');
    const [endpoint] = podMonitor.spec.podMetricsEndpoints;
    expect(endpoint).toMatchObject({ port: 'http-envoy-prom', path: '/stats/prometheus', scheme: 'http' });
    expect(endpoint.relabelings).toEqual([
      { action: 'keep', sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: 'istio-proxy' },
      {
        action: 'replace',
        sourceLabels: ['__meta_kubernetes_pod_ip'],
        regex: '(.+:.+)',
        replacement: '[$1]:15020',
        targetLabel: '__address__',
      },
      {
        action: 'replace',
        sourceLabels: ['__meta_kubernetes_pod_ip'],
        regex: '([^:]+)',
        replacement: '$1:15020',
        targetLabel: '__address__',
      },
    ]);
  });

  it('makes the pods STRICT without exceptions', () => {
    const [pa] = byKind(manifests, 'PeerAuthentication');
    expect(pa.apiVersion).toBe('security.istio.io/v1');
    expect(pa.spec.mtls).toEqual({ mode: 'STRICT' });
    expect(pa.spec.portLevelMtls).toBeUndefined();
  });
});

describe('direct scrape wiring', () => {
  it('opens only the aggregator port with a port-level PERMISSIVE exception', () => {
    const manifests = synth(
      seed({ mode: ScrapeMode.portLevelException(), scrapeInterval: Duration.seconds(30) }),
    );
    const [pa] = byKind(manifests, 'PeerAuthentication');
    expect(pa.spec).toMatchObject({
      mtls: { mode: 'STRICT' },
      portLevelMtls: { '9090': { mode: 'PERMISSIVE' } },
    });
    const [podMonitor] = byKind(manifests, 'PodMonitor');
    expect(podMonitor.spec.podMetricsEndpoints).toEqual([
      { port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s' },
    ]);
    expect(byKind(manifests, 'Deployment')[0].spec.template.metadata.annotations).toBeUndefined();
  });

  it('emits no PeerAuthentication without a mesh', () => {
    const manifests = synth(seed({ mode: ScrapeMode.noMesh() }));
    expect(byKind(manifests, 'PeerAuthentication')).toEqual([]);
    expect(byKind(manifests, 'PodMonitor')[0].spec.podMetricsEndpoints[0].port).toBe('metrics');
  });

  it('labels the PodMonitor for a podMonitorSelector, or leaves it out', () => {
    const labelled = synth(seed({ podMonitorMetadata: { labels: { release: 'prometheus' } } }));
    expect(byKind(labelled, 'PodMonitor')[0].metadata.labels).toEqual({ release: 'prometheus' });
    expect(byKind(synth(seed({ podMonitor: false, peerAuthentication: false })), 'Deployment')).toHaveLength(
      1,
    );
    expect(synth(seed({ podMonitor: false, peerAuthentication: false }))).toHaveLength(1);
  });
});

describe('attaching to a workload the user already has', () => {
  const workloads: [string, (chart: Chart) => ApiObject | kplus.Workload][] = [
    [
      'a cdk8s-plus-27 StatefulSet',
      (chart) => {
        const set = new kplus.StatefulSet(chart, 'db', {
          service: new kplus.Service(chart, 'db-svc', { ports: [{ port: 80 }] }),
        });
        set.addContainer({ name: 'api', image: 'example/api', ports: [{ number: 8080 }] });
        return set;
      },
    ],
    [
      'a cdk8s-plus-27 DaemonSet',
      (chart) => {
        const set = new kplus.DaemonSet(chart, 'agent');
        set.addContainer({ name: 'api', image: 'example/api', ports: [{ number: 8080 }] });
        return set;
      },
    ],
    [
      'a raw KubeDeployment',
      (chart) =>
        new KubeDeployment(chart, 'raw', {
          spec: {
            selector: { matchLabels: { app: 'raw' } },
            template: {
              metadata: { labels: { app: 'raw' } },
              spec: { containers: [{ name: 'api', image: 'example/api', ports: [{ containerPort: 8080 }] }] },
            },
          },
        }),
    ],
    [
      'a plain ApiObject (another cdk8s-plus version or hand-written)',
      (chart) =>
        new ApiObject(chart, 'plain', {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          spec: {
            selector: { matchLabels: { app: 'plain' } },
            template: {
              metadata: { labels: { app: 'plain' }, annotations: { team: 'x' } },
              spec: { containers: [{ name: 'api', image: 'example/api', ports: [{ containerPort: 8080 }] }] },
            },
          },
        }),
    ],
  ];

  it.each(workloads)('adds the sidecar and its wiring to %s', (_, make) => {
    const chart = new Chart(Testing.app(), 'test');
    const workload = make(chart);
    const aggregator = new MetricsAggregator(chart, 'metrics', {
      workload,
      upstreams: [{ container: 'api', endpoint: MetricsEndpoint.fromPort(8080) }],
    });
    const manifests = Testing.synth(chart);
    const object = manifests.find((m) =>
      ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.kind),
    ) as Manifest;
    const sidecar = sidecarOf(object);
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(sidecar.resources.limits).toEqual({ cpu: '100m', memory: '128Mi' });
    expect(object.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/port': '9090' });
    expect(aggregator.metricsEndpoints).toBe('{"api":"http://localhost:8080/metrics"}');
    expect(byKind(manifests, 'PodMonitor')[0].spec.selector.matchLabels).toEqual(
      object.spec.selector.matchLabels,
    );
  });
});

describe('rejections name the prop and the bad value', () => {
  const rejects = (props: MetricsAggregatedDeploymentProps, message: RegExp) =>
    expect(() => synth(props)).toThrow(message);

  it('rejects duplicate container names', () => {
    const [api] = seed().containers;
    rejects({ containers: [api, api] }, /container name "api" appears twice/);
  });

  it('rejects a metrics port the container does not declare', () => {
    const [api] = seed().containers;
    rejects(
      { containers: [{ ...api, metrics: MetricsEndpoint.fromPort(9999) }] },
      /container "api" does not declare port 9999 \(it declares: http=8080\)/,
    );
    rejects(
      { containers: [{ ...api, metrics: MetricsEndpoint.fromPortName('prom') }] },
      /does not declare port "prom"/,
    );
  });

  it('rejects a port that clashes with a container, or with Istio’s own', () => {
    rejects(seed({ port: 8080 }), /port 8080 clashes with container "api"/);
    rejects(seed({ port: 15020 }), /port 15020 is one Istio's sidecar listens on/);
  });

  it('rejects an origin label that is not a usable label name', () => {
    rejects(
      seed({ originLabel: 'origin-container' }),
      /originLabel "origin-container" is not a usable Prometheus label name/,
    );
    rejects(seed({ originLabel: 'le' }), /originLabel "le"/);
  });

  it('rejects STRICT mTLS with a plain-HTTP PodMonitor on the aggregator port', () => {
    rejects(
      seed({ mode: ScrapeMode.noMesh(), peerAuthentication: true }),
      /peerAuthentication: true with ScrapeMode.noMesh\(\) would make the pod STRICT/,
    );
  });

  it('rejects an upstream name that is not a container name', () => {
    const chart = new Chart(Testing.app(), 'test');
    const deployment = new kplus.Deployment(chart, 'd');
    deployment.addContainer({ name: 'api', image: 'x', ports: [{ number: 8080 }] });
    expect(
      () =>
        new MetricsAggregator(chart, 'm', {
          workload: deployment,
          upstreams: [{ container: 'API server', endpoint: MetricsEndpoint.fromPort(8080) }],
        }),
    ).toThrow(/upstream container "API server" is not a Kubernetes container name/);
  });

  it('rejects a Deployment where no container has metrics', () => {
    rejects(
      { containers: [{ name: 'api', image: 'x', ports: [{ number: 8080 }] }] },
      /no container declares `metrics`/,
    );
  });

  it('rejects bad ports and paths where the endpoint is made', () => {
    expect(() => MetricsEndpoint.fromPort(0)).toThrow(/0 is not a port number/);
    expect(() => MetricsEndpoint.fromPort(8080, 'metrics')).toThrow(/path "metrics" must start with "\/"/);
    expect(() => MetricsEndpoint.fromPortName('Not_A_Name')).toThrow(/"Not_A_Name" is not a valid port name/);
  });

  it('rejects an upstream container the workload does not have, at synth if it disappears later', () => {
    const chart = new Chart(Testing.app(), 'test');
    const deployment = new kplus.Deployment(chart, 'd');
    deployment.addContainer({ name: 'api', image: 'x', ports: [{ number: 8080 }] });
    expect(
      () =>
        new MetricsAggregator(chart, 'm', {
          workload: deployment,
          upstreams: [{ container: 'web', endpoint: MetricsEndpoint.fromPort(8080) }],
        }),
    ).toThrow(/upstreams name container "web", which workload "[^"]+" does not have \(it has: api\)/);
  });
});
