// The e2e workload as the construct library synthesizes it: three application containers running
// test/e2e/app/metrics-app.js (from the ConfigMap render.sh adds) plus the aggregator sidecar.
//
//   node -r @swc-node/register test/e2e/constructs/main.ts <namespace> <mode> <app image> [<aggregator image>]
//
// prints the manifests as YAML. render.sh runs it; mode is one of MODES of test/support/wiring.ts.
import { App, Chart, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { MetricsAggregatedDeployment, MetricsEndpoint, ScrapeMode } from '../../../constructs/src';

const MODES: Record<string, () => ScrapeMode> = {
  'istio-metrics-merge': ScrapeMode.istioMetricsMerge,
  'port-level-exception': ScrapeMode.portLevelException,
  'no-mesh': ScrapeMode.noMesh,
};

/** The application containers and their metrics ports, as in chart/values.yaml and kustomize/base. */
const APPS = [
  { name: 'api', port: 8080 },
  { name: 'worker', port: 9100 },
  { name: 'cache', port: 9121 },
];

const [namespace, modeName, appImage, aggregatorImage] = process.argv.slice(2);
const mode = MODES[modeName ?? ''];
if (!namespace || !mode || !appImage) {
  process.stderr.write(
    `usage: main.ts <namespace> <${Object.keys(MODES).join('|')}> <app image> [<aggregator image>]\n`,
  );
  process.exit(2);
}

const app = new App();
const chart = new Chart(app, 'e2e', { namespace });
const script = kplus.Volume.fromConfigMap(
  chart,
  'MetricsApp',
  kplus.ConfigMap.fromConfigMapName(chart, 'MetricsAppConfigMap', 'e2e-metrics-app'),
);
new MetricsAggregatedDeployment(chart, 'e2e-app', {
  mode: mode(),
  image: aggregatorImage,
  replicas: 1,
  metadata: { name: 'e2e-app' },
  containers: APPS.map(({ name, port }) => ({
    name,
    image: appImage,
    // A kind-loaded image is in no registry.
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['node', '/e2e/metrics-app.js', '--name', name, '--port', String(port)],
    ports: [{ number: port, name: `${name}-metrics` }],
    volumeMounts: [{ path: '/e2e', volume: script, readOnly: true }],
    // cdk8s-plus-27 would request a whole CPU and 512Mi for each container.
    resources: {
      cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
      memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
    },
    metrics: MetricsEndpoint.fromPort(port),
  })),
});
process.stdout.write(Yaml.stringify(...chart.toJson()));
