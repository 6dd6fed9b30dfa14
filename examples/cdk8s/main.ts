// The examples' cdk8s app: `npx cdk8s synth` at the repository root (see cdk8s.yaml) writes one
// dist/<chart>.k8s.yaml per chart. Each chart is a complete alternative: apply one, not all.
//
// The examples import cdk8s-metrics-aggregator from this repository's source, so they always match it.
// In your own app: `npm install cdk8s-metrics-aggregator`, then import from it by name.
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { MetricsAggregatedDeployment, MetricsEndpoint, ScrapeMode } from '../../constructs/src';
import { AttachExistingChart } from './attach-existing';

// cdk8s-plus-27 would request a whole CPU and 512Mi for each container; the example's are small.
const resources: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
};

/** The seed scenario in one scrape mode: an API (metrics on :8080) and a worker (metrics on :9100). */
class ShopChart extends Chart {
  constructor(scope: Construct, id: string, mode: ScrapeMode) {
    super(scope, id, { namespace: 'shop' });

    new MetricsAggregatedDeployment(this, 'shop', {
      mode,
      metadata: { name: 'shop' },
      containers: [
        {
          name: 'api',
          image: 'ghcr.io/example/api:1.4.2',
          ports: [{ number: 8080, name: 'http' }],
          resources,
          metrics: MetricsEndpoint.fromPort(8080),
        },
        {
          name: 'worker',
          image: 'ghcr.io/example/worker:1.4.2',
          // Not `metrics`: the sidecar's port has that name, and names are unique within a pod.
          ports: [{ number: 9100, name: 'worker-metrics' }],
          resources,
          metrics: MetricsEndpoint.fromPort(9100),
        },
      ],
      // The labels the Prometheus's podMonitorSelector selects on (kube-prometheus-stack: its release).
      podMonitorMetadata: { labels: { release: 'prometheus' } },
    });
  }
}

const app = new App();
new ShopChart(app, 'istio-metrics-merge', ScrapeMode.istioMetricsMerge());
new ShopChart(app, 'port-level-exception', ScrapeMode.portLevelException());
new ShopChart(app, 'no-mesh', ScrapeMode.noMesh());
new AttachExistingChart(app, 'attach-existing');
app.synth();
