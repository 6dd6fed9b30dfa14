import { Chart, Testing, Yaml } from 'cdk8s';
import { k8sValidateYaml, validationErrors } from '../../test/support/k8s-validate';
import { MetricsAggregatedDeployment, MetricsEndpoint, ScrapeMode } from '../src';

// Kubernetes' own validation (strict decoding, the real CRD schemas and CEL rules, Pod Security
// "restricted") on what the constructs emit in each mode, as a native sidecar too.
describe.each([
  ['istio-metrics-merge', ScrapeMode.istioMetricsMerge()],
  ['port-level-exception', ScrapeMode.portLevelException()],
  ['no-mesh', ScrapeMode.noMesh()],
])('in mode %s', (_, mode) => {
  it.each([false, true])('emits objects Kubernetes accepts (native sidecar: %s)', (nativeSidecar) => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    new MetricsAggregatedDeployment(chart, 'shop', {
      mode,
      nativeSidecar,
      containers: [
        {
          name: 'api',
          image: 'example/api:1.0',
          ports: [{ number: 8080 }],
          metrics: MetricsEndpoint.fromPort(8080),
        },
        {
          name: 'worker',
          image: 'example/worker:1.0',
          ports: [{ number: 9100 }],
          metrics: MetricsEndpoint.fromPort(9100),
        },
      ],
    });
    const results = k8sValidateYaml(Yaml.stringify(...Testing.synth(chart)));
    expect(results.map((r) => r.kind).sort()).toEqual(
      mode.meshed ? ['Deployment', 'PeerAuthentication', 'PodMonitor'] : ['Deployment', 'PodMonitor'],
    );
    expect(validationErrors(results)).toEqual([]);
  });
});
