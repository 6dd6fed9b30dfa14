import { ApiObject, type ApiObjectMetadata, type Duration, JsonPatch } from 'cdk8s';
import type { ContainerResources } from 'cdk8s-plus-27';
import { Construct, type IConstruct, Node } from 'constructs';
import {
  DEFAULT_IMAGE,
  DEFAULT_ORIGIN_LABEL,
  DEFAULT_PORT,
  ISTIO_MERGE_PATH,
  ISTIO_MERGE_PORT,
  ISTIO_PROXY_PORT_NAME,
  SIDECAR_NAME,
  SIDECAR_PORT_NAME,
} from './defaults';
import {
  PodMonitor,
  PodMonitorSpecPodMetricsEndpointsRelabelingsAction as RelabelAction,
  PodMonitorSpecPodMetricsEndpointsScheme as Scheme,
} from './imports/monitoring.coreos.com';
import {
  PeerAuthentication,
  PeerAuthenticationSpecMtlsMode,
  PeerAuthenticationSpecPortLevelMtlsMode,
} from './imports/security.istio.io';
import type { MetricsEndpoint } from './metrics-endpoint';
import { ScrapeMode } from './scrape-mode';

/** A container of the pod whose metrics the aggregator scrapes, and where it serves them. */
export interface MetricsUpstream {
  /** The container's name in the pod; also the `origin_container` value of its series. */
  readonly container: string;
  /** Where the container serves its metrics; the port must be one the container declares. */
  readonly endpoint: MetricsEndpoint;
}

/** How the aggregator sidecar runs and how Prometheus reaches it. */
export interface MetricsAggregatorOptions {
  /**
   * How Prometheus reaches the aggregator (pod annotations, PodMonitor, PeerAuthentication).
   * @default ScrapeMode.istioMetricsMerge()
   */
  readonly mode?: ScrapeMode;
  /**
   * The aggregator image.
   * @default - the image this repository builds, tagged with this package's version
   */
  readonly image?: string;
  /**
   * The port the aggregator serves on, as the container port named `metrics`.
   * @default 9090
   */
  readonly port?: number;
  /**
   * The label naming each series' container.
   * @default 'origin_container'
   */
  readonly originLabel?: string;
  /**
   * Time each container gets to answer a scrape (never more than Prometheus's own timeout).
   * @default - the aggregator's default, 10 seconds
   */
  readonly upstreamTimeout?: Duration;
  /**
   * How often the PodMonitor has Prometheus scrape the pod.
   * @default - Prometheus's global scrape interval
   */
  readonly scrapeInterval?: Duration;
  /**
   * The sidecar's resources.
   * @default - requests 10m CPU and 32Mi memory, limits 100m CPU and 128Mi memory
   */
  readonly resources?: ContainerResources;
  /**
   * Whether to emit a PodMonitor for prometheus-operator.
   * @default true
   */
  readonly podMonitor?: boolean;
  /**
   * Metadata of the PodMonitor, e.g. the labels a Prometheus's `podMonitorSelector` selects on.
   * @default - a generated name in the workload's namespace, no extra labels
   */
  readonly podMonitorMetadata?: ApiObjectMetadata;
  /**
   * Whether to emit the STRICT PeerAuthentication of the mesh modes. Not possible with
   * `ScrapeMode.noMesh()`: a STRICT pod whose PodMonitor scrapes it over plain HTTP is refused by Envoy.
   * @default - true with a mesh mode, false with ScrapeMode.noMesh()
   */
  readonly peerAuthentication?: boolean;
  /**
   * Run as a native sidecar (Kubernetes 1.29+): an init container with `restartPolicy: Always`,
   * started before the application containers and stopped after them.
   * @default false
   */
  readonly nativeSidecar?: boolean;
}

/** Properties of a MetricsAggregator. */
export interface MetricsAggregatorProps extends MetricsAggregatorOptions {
  /**
   * The workload to add the sidecar to: a Deployment, StatefulSet or DaemonSet, from cdk8s-plus of
   * any version or a raw `KubeDeployment` (any construct whose ApiObject is one of those kinds).
   * Add it after the workload's containers: the sidecar is wired from them.
   */
  readonly workload: IConstruct;
  /** The containers to scrape. */
  readonly upstreams: MetricsUpstream[];
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];
/** Ports Istio's sidecar listens on in every meshed pod. */
const ISTIO_PORTS = [15000, 15001, 15004, 15006, 15008, 15020, 15021, 15090];

interface PodJson {
  readonly containers?: ContainerJson[];
  readonly initContainers?: ContainerJson[];
}

interface ContainerJson {
  readonly name: string;
  readonly ports?: { readonly containerPort: number; readonly name?: string }[];
  readonly restartPolicy?: string;
}

/**
 * Adds the metrics-aggregator sidecar to a workload and, by its scrape mode, the pod annotations,
 * the PodMonitor and the PeerAuthentication that let Prometheus reach it. Works on the workload's
 * ApiObject (JSON patches), so any cdk8s-plus version or raw Kube* object will do.
 */
export class MetricsAggregator extends Construct {
  /** The `METRICS_ENDPOINTS` the sidecar gets: every upstream by name, over localhost. */
  readonly metricsEndpoints: string;
  /** The PodMonitor, when one is emitted. */
  readonly podMonitor: PodMonitor | undefined;
  /** The PeerAuthentication, when one is emitted. */
  readonly peerAuthentication: PeerAuthentication | undefined;
  /** The scrape mode in force. */
  readonly mode: ScrapeMode;

  constructor(scope: Construct, id: string, props: MetricsAggregatorProps) {
    super(scope, id);
    const mode = props.mode ?? ScrapeMode.istioMetricsMerge();
    this.mode = mode;
    const port = props.port ?? DEFAULT_PORT;
    const originLabel = props.originLabel ?? DEFAULT_ORIGIN_LABEL;
    const peerAuthentication = props.peerAuthentication ?? mode.meshed;
    checkOptions(mode, port, originLabel, peerAuthentication);

    const workload = ApiObject.of(props.workload);
    const json = workload.toJson();
    if (!WORKLOAD_KINDS.includes(json.kind)) {
      throw new Error(
        `MetricsAggregator: workload "${workload.name}" is a ${json.kind}; expected one of ${WORKLOAD_KINDS.join(', ')}`,
      );
    }
    const pod: PodJson = json.spec?.template?.spec ?? {};
    const containers = [
      ...(pod.containers ?? []),
      ...(pod.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ];
    const endpoints = resolveUpstreams(props.upstreams, containers, workload.name);
    checkPortClash(containers, port, mode, workload.name);
    if (
      pod.containers?.some((c) => c.name === SIDECAR_NAME) ||
      pod.initContainers?.some((c) => c.name === SIDECAR_NAME)
    ) {
      throw new Error(
        `MetricsAggregator: workload "${workload.name}" already has a container named "${SIDECAR_NAME}"`,
      );
    }
    this.metricsEndpoints = JSON.stringify(Object.fromEntries(endpoints));

    // Generated Kube* classes (cdk8s-plus of any version, k8s imports) convert their JSON after the
    // patches, reading int-or-string and quantity fields as `{ value }` objects: give them that form.
    const converts = workload.toJson !== ApiObject.prototype.toJson;
    const wrap = (value: string): unknown => (converts ? { value } : value);
    const sidecar = sidecarContainer(props, port, originLabel, mode, this.metricsEndpoints, wrap);
    if (props.nativeSidecar) {
      workload.addJsonPatch(
        pod.initContainers
          ? JsonPatch.add('/spec/template/spec/initContainers/-', sidecar)
          : JsonPatch.add('/spec/template/spec/initContainers', [sidecar]),
      );
      // A container's restartPolicy is Kubernetes 1.28+; generated schemas of older versions
      // (cdk8s-plus-27's) drop it in their conversion, so it is set on the converted JSON.
      afterConversion(workload, (converted) => {
        const init = converted.spec?.template?.spec?.initContainers ?? [];
        for (const container of init) if (container.name === SIDECAR_NAME) container.restartPolicy = 'Always';
      });
    } else {
      workload.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/-', sidecar));
    }
    if (mode.viaIstioMerge) addIstioMergeAnnotations(workload, json, port);

    const matchLabels: Record<string, string> | undefined = json.spec?.selector?.matchLabels;
    if (!matchLabels || Object.keys(matchLabels).length === 0) {
      throw new Error(
        `MetricsAggregator: workload "${workload.name}" has no spec.selector.matchLabels to select its pods with`,
      );
    }
    const namespace: string | undefined = json.metadata?.namespace;
    this.podMonitor =
      props.podMonitor === false
        ? undefined
        : new PodMonitor(this, 'PodMonitor', {
            metadata: {
              ...props.podMonitorMetadata,
              namespace: props.podMonitorMetadata?.namespace ?? namespace,
            },
            spec: {
              selector: { matchLabels },
              podMetricsEndpoints: [podMetricsEndpoint(mode, props.scrapeInterval)],
            },
          });
    this.peerAuthentication = peerAuthentication
      ? new PeerAuthentication(this, 'PeerAuthentication', {
          metadata: { namespace },
          spec: {
            selector: { matchLabels },
            mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT },
            portLevelMtls: mode.viaIstioMerge
              ? undefined
              : { [String(port)]: { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE } },
          },
        })
      : undefined;

    // The sidecar was wired from the workload as it was; say so loudly if it changed since.
    Node.of(this).addValidation({
      validate: () => {
        const now: PodJson = ApiObject.of(props.workload).toJson().spec?.template?.spec ?? {};
        const current = [...(now.containers ?? []), ...(now.initContainers ?? [])];
        try {
          resolveUpstreams(props.upstreams, current, workload.name);
          return [];
        } catch (error) {
          return [`${(error as Error).message} (the workload changed after the MetricsAggregator was added)`];
        }
      },
    });
  }
}

/** Runs `patch` on the workload's JSON after its own conversion, at every synthesis. */
function afterConversion(workload: ApiObject, patch: (json: Record<string, any>) => void): void {
  const toJson = workload.toJson.bind(workload);
  workload.toJson = () => {
    const json = toJson();
    patch(json);
    return json;
  };
}

function checkOptions(
  mode: ScrapeMode,
  port: number,
  originLabel: string,
  peerAuthentication: boolean,
): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`MetricsAggregator: port ${port} is not a port number (1-65535)`);
  }
  if (
    !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(originLabel) ||
    originLabel.startsWith('__') ||
    ['le', 'quantile'].includes(originLabel)
  ) {
    throw new Error(
      `MetricsAggregator: originLabel "${originLabel}" is not a usable Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not __-prefixed, not le or quantile)`,
    );
  }
  if (peerAuthentication && !mode.meshed) {
    throw new Error(
      `MetricsAggregator: peerAuthentication: true with ScrapeMode.${camel(mode.name)}() would make the pod STRICT while its PodMonitor scrapes the aggregator over plain HTTP, which Envoy refuses; use ScrapeMode.portLevelException() or ScrapeMode.istioMetricsMerge()`,
    );
  }
}

/** Each upstream as `[container, URL]`, its port checked against what the container declares. */
function resolveUpstreams(
  upstreams: readonly MetricsUpstream[],
  containers: readonly ContainerJson[],
  workload: string,
): [string, string][] {
  if (upstreams.length === 0)
    throw new Error(
      `MetricsAggregator: upstreams is empty; name at least one container of "${workload}" to scrape`,
    );
  const seen = new Set<string>();
  return upstreams.map(({ container, endpoint }) => {
    if (seen.has(container))
      throw new Error(`MetricsAggregator: upstreams name container "${container}" twice`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(container) || container.length > 63) {
      throw new Error(
        `MetricsAggregator: upstream container "${container}" is not a Kubernetes container name (a DNS-1123 label: lowercase alphanumerics and '-', at most 63)`,
      );
    }
    seen.add(container);
    const found = containers.find((c) => c.name === container);
    if (!found) {
      throw new Error(
        `MetricsAggregator: upstreams name container "${container}", which workload "${workload}" does not have (it has: ${containers.map((c) => c.name).join(', ') || 'none'})`,
      );
    }
    const ports = found.ports ?? [];
    const declared =
      endpoint.port !== undefined
        ? ports.find((p) => p.containerPort === endpoint.port)
        : ports.find((p) => p.name === endpoint.portName);
    if (!declared) {
      throw new Error(
        `MetricsAggregator: container "${container}" does not declare port ${endpoint.port ?? `"${endpoint.portName}"`} (it declares: ${ports.map((p) => (p.name ? `${p.name}=${p.containerPort}` : p.containerPort)).join(', ') || 'none'}); add it to the container's ports`,
      );
    }
    return [container, `http://localhost:${declared.containerPort}${endpoint.path}`];
  });
}

function checkPortClash(
  containers: readonly ContainerJson[],
  port: number,
  mode: ScrapeMode,
  workload: string,
): void {
  for (const container of containers) {
    for (const p of container.ports ?? []) {
      if (p.containerPort === port) {
        throw new Error(
          `MetricsAggregator: port ${port} clashes with container "${container.name}" of "${workload}"; set the port option to a free one`,
        );
      }
    }
  }
  if (mode.meshed && ISTIO_PORTS.includes(port)) {
    throw new Error(
      `MetricsAggregator: port ${port} is one Istio's sidecar listens on (${ISTIO_PORTS.join(', ')}); set the port option to a free one`,
    );
  }
}

function sidecarContainer(
  props: MetricsAggregatorOptions,
  port: number,
  originLabel: string,
  mode: ScrapeMode,
  metricsEndpoints: string,
  wrap: (value: string) => unknown,
): Record<string, unknown> {
  const env = [{ name: 'METRICS_ENDPOINTS', value: metricsEndpoints }];
  if (port !== DEFAULT_PORT) env.push({ name: 'METRICS_AGGREGATOR_PORT', value: String(port) });
  if (originLabel !== DEFAULT_ORIGIN_LABEL)
    env.push({ name: 'METRICS_AGGREGATOR_ORIGIN_LABEL', value: originLabel });
  if (props.upstreamTimeout)
    env.push({
      name: 'METRICS_AGGREGATOR_UPSTREAM_TIMEOUT',
      value: `${props.upstreamTimeout.toMilliseconds()}ms`,
    });
  // pilot-agent puts its own text output in front of ours: only classic text concatenates.
  if (mode.viaIstioMerge) env.push({ name: 'METRICS_AGGREGATOR_FORCE_TEXT', value: 'true' });
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: wrap(SIDECAR_PORT_NAME) },
    periodSeconds,
    timeoutSeconds: 1,
    failureThreshold: 3,
  });
  return {
    name: SIDECAR_NAME,
    image: props.image ?? DEFAULT_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: SIDECAR_PORT_NAME, containerPort: port, protocol: 'TCP' }],
    env,
    readinessProbe: probe('/readyz', 5),
    livenessProbe: probe('/healthz', 10),
    resources: resourcesJson(props.resources, wrap),
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

function resourcesJson(
  resources: ContainerResources | undefined,
  wrap: (value: string) => unknown,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const put = (kind: 'requests' | 'limits', key: string, value: { amount: string | number } | undefined) => {
    if (value === undefined) return;
    out[kind] ??= {};
    out[kind][key] = wrap(String(value.amount));
  };
  if (!resources) {
    put('requests', 'cpu', { amount: '10m' });
    put('requests', 'memory', { amount: '32Mi' });
    put('limits', 'cpu', { amount: '100m' });
    put('limits', 'memory', { amount: '128Mi' });
    return out;
  }
  put('requests', 'cpu', resources.cpu?.request);
  put('limits', 'cpu', resources.cpu?.limit);
  put(
    'requests',
    'memory',
    resources.memory?.request && { amount: `${resources.memory.request.toMebibytes()}Mi` },
  );
  put('limits', 'memory', resources.memory?.limit && { amount: `${resources.memory.limit.toMebibytes()}Mi` });
  put(
    'requests',
    'ephemeral-storage',
    resources.ephemeralStorage?.request && {
      amount: `${resources.ephemeralStorage.request.toMebibytes()}Mi`,
    },
  );
  put(
    'limits',
    'ephemeral-storage',
    resources.ephemeralStorage?.limit && { amount: `${resources.ephemeralStorage.limit.toMebibytes()}Mi` },
  );
  return out;
}

/** `prometheus.io/*` on the pod: Istio's injector hands them to pilot-agent, which then merges our output. */
function addIstioMergeAnnotations(workload: ApiObject, json: Record<string, any>, port: number): void {
  const annotations = {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(port),
    'prometheus.io/path': '/metrics',
  };
  const metadata = json.spec?.template?.metadata;
  if (!metadata) {
    workload.addJsonPatch(JsonPatch.add('/spec/template/metadata', { annotations }));
  } else if (!metadata.annotations) {
    workload.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', annotations));
  } else {
    for (const [key, value] of Object.entries(annotations)) {
      workload.addJsonPatch(
        JsonPatch.add(
          `/spec/template/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          value,
        ),
      );
    }
  }
}

function podMetricsEndpoint(mode: ScrapeMode, interval: Duration | undefined) {
  const common = { scheme: Scheme.HTTP, interval: interval ? `${interval.toSeconds()}s` : undefined };
  if (!mode.viaIstioMerge) return { ...common, port: SIDECAR_PORT_NAME, path: '/metrics' };
  return {
    ...common,
    // istio-proxy declares only 15090; the merge on 15020 is reached by rewriting the address,
    // the pattern of Istio's own sample PodMonitor.
    port: ISTIO_PROXY_PORT_NAME,
    path: ISTIO_MERGE_PATH,
    relabelings: [
      {
        action: RelabelAction.KEEP,
        sourceLabels: ['__meta_kubernetes_pod_container_name'],
        regex: 'istio-proxy',
      },
      {
        action: RelabelAction.REPLACE,
        sourceLabels: ['__meta_kubernetes_pod_ip'],
        regex: '(.+:.+)',
        replacement: `[$1]:${ISTIO_MERGE_PORT}`,
        targetLabel: '__address__',
      },
      {
        action: RelabelAction.REPLACE,
        sourceLabels: ['__meta_kubernetes_pod_ip'],
        regex: '([^:]+)',
        replacement: `$1:${ISTIO_MERGE_PORT}`,
        targetLabel: '__address__',
      },
    ],
  };
}

function camel(name: string): string {
  return name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}
