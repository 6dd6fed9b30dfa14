/** How much the aggregator logs. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The caps that protect the aggregator from one upstream's runaway exposition. */
export interface UpstreamLimits {
  /** Bytes of an exposition after decompression. */
  readonly maxBodyBytes: number;
  /** Bytes read off the wire, before decompression. */
  readonly maxCompressedBytes: number;
  /** Samples in one scrape of one upstream. */
  readonly maxSamples: number;
  /** Bytes in one line of an exposition. */
  readonly maxLineBytes: number;
}

/** TLS settings of an https upstream. */
export interface UpstreamTls {
  /** PEM bundle of the CAs to trust instead of Node's defaults. */
  readonly caFile?: string;
  /** Name checked against the server certificate (SNI) instead of the URL's host. */
  readonly serverName?: string;
  /** Accept any server certificate. */
  readonly insecureSkipVerify: boolean;
}

/** A static label added to every series of an upstream. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/** What an upstream gets when it does not say otherwise (set by the global flags). */
export interface UpstreamDefaults {
  readonly timeoutMs: number;
  readonly limits: UpstreamLimits;
}

/** One container's metrics endpoint, scraped over localhost. */
export interface UpstreamConfig {
  /** The origin label value of every series of this upstream; unique in the pod. */
  readonly name: string;
  /** Absolute http(s) URL, normalised (`http://localhost:8080/metrics`). */
  readonly url: string;
  readonly timeoutMs: number;
  /** Extra request headers, sent as given. */
  readonly headers: Readonly<Record<string, string>>;
  /** File holding a bearer token, read by the scraper at each scrape (tokens rotate). */
  readonly bearerTokenFile?: string;
  /** Only for https URLs. */
  readonly tls?: UpstreamTls;
  readonly labels: readonly Label[];
  /** Keep only the metric families whose name matches one of these; empty keeps all. */
  readonly keep: readonly RegExp[];
  /** Drop the metric families whose name matches one of these (applied after `keep`). */
  readonly drop: readonly RegExp[];
  readonly limits: UpstreamLimits;
}

/** The aggregator's whole configuration, validated, defaulted and frozen. */
export interface Config {
  readonly listen: { readonly host: string; readonly port: number };
  /** The label naming each series' container, `origin_container` by default. */
  readonly originLabel: string;
  /** The origin label value of the aggregator's own metrics; undefined when they are not served. */
  readonly selfOrigin: string | undefined;
  /** Always answer classic text, whatever the Accept header (Istio's metrics merge needs it). */
  readonly forceText: boolean;
  /** Subtracted from Prometheus's X-Prometheus-Scrape-Timeout-Seconds to leave time to answer. */
  readonly scrapeTimeoutMarginMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  /** OpenTelemetry tracing; without an endpoint the SDK's OTEL_EXPORTER_OTLP_* variables apply. */
  readonly tracing: { readonly enabled: boolean; readonly endpoint?: string };
  /** Scrape the embedded demo upstreams (in addition to any configured ones). */
  readonly demo: boolean;
  /** The upstream settings of the global flags, for upstreams made at run time (the demo ones). */
  readonly upstreamDefaults: UpstreamDefaults;
  /** METRICS_ENDPOINTS first, in its order, then the config file's, in its order. */
  readonly upstreams: readonly UpstreamConfig[];
}

const MiB = 1024 * 1024;

/** The built-in defaults: the one source of truth for the help text, the README and the chart. */
export const CONFIG_DEFAULTS = Object.freeze({
  port: 9090,
  host: '0.0.0.0',
  originLabel: 'origin_container',
  selfOrigin: 'metrics-aggregator',
  selfMetrics: true,
  forceText: false,
  upstreamTimeoutMs: 10_000,
  scrapeTimeoutMarginMs: 500,
  maxBodyBytes: 50 * MiB,
  maxSamples: 500_000,
  maxLineBytes: 1 * MiB,
  logLevel: 'info' as LogLevel,
  shutdownGraceMs: 10_000,
  tracing: false,
  demo: false,
});

/** The upstream settings when no flag, variable or file changes them. */
export const DEFAULT_UPSTREAM_DEFAULTS: UpstreamDefaults = Object.freeze({
  timeoutMs: CONFIG_DEFAULTS.upstreamTimeoutMs,
  limits: Object.freeze({
    maxBodyBytes: CONFIG_DEFAULTS.maxBodyBytes,
    maxCompressedBytes: CONFIG_DEFAULTS.maxBodyBytes,
    maxSamples: CONFIG_DEFAULTS.maxSamples,
    maxLineBytes: CONFIG_DEFAULTS.maxLineBytes,
  }),
});
