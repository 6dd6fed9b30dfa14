import { ApiObject, type ApiObjectMetadata, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MetricsAggregator, type MetricsAggregatorOptions } from './metrics-aggregator';
import type { MetricsEndpoint } from './metrics-endpoint';

/** A container of the Deployment, and where it serves its metrics. */
export interface AggregatedContainerProps extends kplus.ContainerProps {
  /**
   * Where the container serves its metrics; its port must be among the container's `ports`.
   * @default - the container is not scraped
   */
  readonly metrics?: MetricsEndpoint;
}

/** Properties of a MetricsAggregatedDeployment. */
export interface MetricsAggregatedDeploymentProps extends MetricsAggregatorOptions {
  /** The application containers; the aggregator sidecar is added to them. */
  readonly containers: AggregatedContainerProps[];
  /**
   * Replicas of the Deployment.
   * @default 2 (cdk8s-plus's default)
   */
  readonly replicas?: number;
  /**
   * Metadata of the Deployment.
   * @default - a generated name
   */
  readonly metadata?: ApiObjectMetadata;
  /**
   * Make the pod meet Pod Security "restricted" beyond what cdk8s-plus-27 sets: a RuntimeDefault
   * seccomp profile for the pod and no Linux capabilities for any container (the sidecar always
   * meets it).
   * @default true
   */
  readonly restricted?: boolean;
}

/**
 * A Deployment of the given containers with the metrics-aggregator sidecar scraping each one that
 * declares `metrics`, plus the PodMonitor and PeerAuthentication of the scrape mode.
 */
export class MetricsAggregatedDeployment extends Construct {
  /** The Deployment. */
  readonly deployment: kplus.Deployment;
  /** The sidecar's wiring: its PodMonitor, PeerAuthentication and METRICS_ENDPOINTS. */
  readonly aggregator: MetricsAggregator;

  constructor(scope: Construct, id: string, props: MetricsAggregatedDeploymentProps) {
    super(scope, id);
    const names = new Set<string>();
    for (const [index, container] of props.containers.entries()) {
      if (!container.name) {
        throw new Error(
          `MetricsAggregatedDeployment: containers[${index}] has no name; every container needs one (it becomes the origin label value)`,
        );
      }
      if (names.has(container.name))
        throw new Error(`MetricsAggregatedDeployment: container name "${container.name}" appears twice`);
      names.add(container.name);
    }
    const scraped = props.containers.filter((c) => c.metrics !== undefined);
    if (scraped.length === 0) {
      throw new Error(
        'MetricsAggregatedDeployment: no container declares `metrics`; set it on each container to scrape',
      );
    }

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      replicas: props.replicas,
      metadata: props.metadata,
    });
    for (const { metrics: _, ...container } of props.containers) this.deployment.addContainer(container);

    if (props.restricted ?? true) {
      const resource = ApiObject.of(this.deployment);
      resource.addJsonPatch(
        JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      );
      props.containers.forEach((_, index) => {
        resource.addJsonPatch(
          JsonPatch.add(`/spec/template/spec/containers/${index}/securityContext/capabilities`, {
            drop: ['ALL'],
          }),
        );
      });
    }

    this.aggregator = new MetricsAggregator(this, 'MetricsAggregator', {
      ...props,
      workload: this.deployment,
      upstreams: scraped.map((c) => ({
        container: c.name as string,
        endpoint: c.metrics as MetricsEndpoint,
      })),
    });
  }
}
