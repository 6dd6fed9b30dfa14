// Attaching the sidecar to a workload you already define: MetricsAggregator works on the workload's
// ApiObject, so a cdk8s-plus Deployment (any version), StatefulSet or DaemonSet, or a raw
// KubeDeployment will do. Add it after the workload's containers: it is wired from them.
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { MetricsAggregator, MetricsEndpoint } from '../../constructs/src';

/** An existing Deployment of the seed scenario, with the metrics-aggregator sidecar attached. */
export class AttachExistingChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'shop' });

    const deployment = new kplus.Deployment(this, 'shop', {
      metadata: { name: 'shop' },
      containers: [
        {
          name: 'api',
          image: 'ghcr.io/example/api:1.4.2',
          ports: [{ number: 8080, name: 'http' }],
        },
        {
          name: 'worker',
          image: 'ghcr.io/example/worker:1.4.2',
          ports: [{ number: 9100, name: 'worker-metrics' }],
        },
      ],
    });
    // Pod Security "restricted" also wants a seccomp profile and `drop: [ALL]`, which cdk8s-plus-27
    // cannot express (MetricsAggregatedDeployment patches them in the same way; the sidecar has both).
    const resource = ApiObject.of(deployment);
    resource.addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );
    for (const index of [0, 1]) {
      resource.addJsonPatch(
        JsonPatch.add(`/spec/template/spec/containers/${index}/securityContext/capabilities`, {
          drop: ['ALL'],
        }),
      );
    }

    new MetricsAggregator(this, 'metrics', {
      workload: deployment,
      upstreams: [
        { container: 'api', endpoint: MetricsEndpoint.fromPort(8080) },
        { container: 'worker', endpoint: MetricsEndpoint.fromPortName('worker-metrics') },
      ],
      podMonitorMetadata: { labels: { release: 'prometheus' } },
    });
  }
}
