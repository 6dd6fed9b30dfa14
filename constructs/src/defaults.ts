// Read at run time, not imported: the compiled lib/ sits beside src/, so the path holds for both, and the
// package.json stays out of the compilation (it is outside rootDir).
const { version } = require('../package.json') as { version: string };

/** The image this repository builds (aggregator/Dockerfile), tagged with the package version: the two move in lockstep. */
export const DEFAULT_IMAGE = `ghcr.io/metrics-aggregator/metrics-aggregator:${version}`;

/** The port the aggregator serves on, as its `--port` default. */
export const DEFAULT_PORT = 9090;

/** The label naming each series' container, as the aggregator's `--origin-label` default. */
export const DEFAULT_ORIGIN_LABEL = 'origin_container';

/** The sidecar container's name, and the origin of its own metrics. */
export const SIDECAR_NAME = 'metrics-aggregator';

/** The sidecar's named port, which PodMonitors and probes refer to. */
export const SIDECAR_PORT_NAME = 'metrics';

/** Where Istio's pilot-agent serves the merged metrics of a pod, outside Envoy and its mTLS. */
export const ISTIO_MERGE_PORT = 15020;
export const ISTIO_MERGE_PATH = '/stats/prometheus';
/** The named port istio-proxy declares (15090); a PodMonitor reaches 15020 only by relabeling from it. */
export const ISTIO_PROXY_PORT_NAME = 'http-envoy-prom';
