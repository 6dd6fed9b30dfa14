import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { MetricsAggregatedDeployment, MetricsEndpoint } from '../constructs/src';
import { type Built, kustomizeBuild, repoRoot, resolveConfigMapRefs } from './support/kustomize';
import { type Manifest, MODES, type ModeName, seedFromConstructs, wiringOf } from './support/wiring';

/** An overlay's objects, METRICS_ENDPOINTS resolved from its generated ConfigMap as the kubelet does. */
function overlay(name: string): Manifest[] {
  const built: Built = kustomizeBuild(join(repoRoot, 'kustomize', 'overlays', name));
  return resolveConfigMapRefs(built.manifests);
}

describe.each(Object.keys(MODES) as ModeName[])('kustomize/overlays/%s', (mode) => {
  it('wires the seed scenario as the constructs do: sidecar, pod annotations, PodMonitor, PeerAuthentication', () => {
    expect(wiringOf(overlay(mode))).toEqual(wiringOf(seedFromConstructs(mode)));
  });
});

describe('kustomize/overlays/native-sidecar', () => {
  it('wires the seed scenario as the constructs do with nativeSidecar: true', () => {
    const chart = new Chart(Testing.app(), 'seed', { namespace: 'shop' });
    new MetricsAggregatedDeployment(chart, 'shop', {
      nativeSidecar: true,
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
    const constructs = Testing.synth(chart);
    const [pod] = constructs.filter((m) => m.kind === 'Deployment').map((m) => m.spec.template.spec);
    expect(pod.initContainers.map((c: Manifest) => c.name)).toEqual(['metrics-aggregator']);
    expect(wiringOf(overlay('native-sidecar'))).toEqual(wiringOf(constructs));
  });
});
