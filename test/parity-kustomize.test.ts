import { join } from 'node:path';
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
    const constructs = seedFromConstructs('istio-metrics-merge', { nativeSidecar: true });
    const [pod] = constructs.filter((m) => m.kind === 'Deployment').map((m) => m.spec.template.spec);
    expect(pod.initContainers.map((c: Manifest) => c.name)).toEqual(['metrics-aggregator']);
    expect(wiringOf(overlay('native-sidecar'))).toEqual(wiringOf(constructs));
  });
});
