import { join } from 'node:path';
import { kustomizeBuild, repoRoot, resolveConfigMapRefs } from './support/kustomize';
import { MODES, type ModeName, seedFromConstructs, wiringOf } from './support/wiring';

describe.each(Object.keys(MODES) as ModeName[])('kustomize/overlays/%s', (mode) => {
  it('wires the seed scenario as the constructs do: sidecar, pod annotations, PodMonitor, PeerAuthentication', () => {
    // METRICS_ENDPOINTS comes from a generated ConfigMap: compare the value the kubelet resolves.
    const built = resolveConfigMapRefs(
      kustomizeBuild(join(repoRoot, 'kustomize', 'overlays', mode)).manifests,
    );
    expect(wiringOf(built)).toEqual(wiringOf(seedFromConstructs(mode)));
  });
});
