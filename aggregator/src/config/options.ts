// The global settings, each settable by a flag, environment variables and (most) the config file.
// This table is the one source of truth for --help, the README table and the resolution in cli.ts.

import { labelNameProblem, nameProblem } from './_upstream';
import {
  describe,
  parseBoolean,
  parseByteSize,
  parseCount,
  parseDuration,
  parseHost,
  parseLogLevel,
  parseNonEmptyString,
  parsePort,
} from './_values';
import { CONFIG_DEFAULTS } from './config';
import { ConfigError } from './config-error';

/** Every flag `--foo-bar` is also the environment variable `METRICS_AGGREGATOR_FOO_BAR`. */
export const ENV_PREFIX = 'METRICS_AGGREGATOR';

/** One global setting. */
export interface Option<T> {
  /** The flag, without its dashes: `max-body-bytes`. */
  readonly flag: string;
  /** The environment variables that set it, the first one winning over the others. */
  readonly env: readonly string[];
  /** Whether the config file may set it, under the camelCase key of the flag (`maxBodyBytes`). */
  readonly inFile: boolean;
  /** A switch (`--force-text`, `--no-force-text`) rather than a flag with a value. */
  readonly boolean: boolean;
  readonly description: string;
  /** The default as --help and the README show it; undefined when there is none. */
  readonly defaultText: string | undefined;
  /** The value from a flag or variable (a string) or the config file (any YAML/JSON value). */
  readonly parse: (raw: unknown, at: string) => T;
}

function option<T>(spec: {
  flag: string;
  legacyEnv?: string;
  inFile?: boolean;
  boolean?: boolean;
  description: string;
  defaultText?: string;
  parse: (raw: unknown, at: string) => T;
}): Option<T> {
  const env = [`${ENV_PREFIX}_${spec.flag.toUpperCase().replace(/-/g, '_')}`];
  if (spec.legacyEnv) env.push(spec.legacyEnv);
  return Object.freeze({
    flag: spec.flag,
    env: Object.freeze(env),
    inFile: spec.inFile ?? true,
    boolean: spec.boolean ?? false,
    description: spec.description,
    defaultText: spec.defaultText,
    parse: spec.parse,
  });
}

/** `10s`, `500ms`: how a duration default is shown. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `50MiB`, `512KiB`, `1000`: how a size default is shown. */
export function formatBytes(bytes: number): string {
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20}MiB`;
  if (bytes % 2 ** 10 === 0) return `${bytes / 2 ** 10}KiB`;
  return String(bytes);
}

const positiveDuration = (raw: unknown, at: string) => parseDuration(raw, at, { allowZero: false });
const duration = (raw: unknown, at: string) => parseDuration(raw, at, { allowZero: true });

/** The global settings, in --help order, keyed by their camelCase name (the config file's key). */
export const OPTIONS = Object.freeze({
  metricsEndpoints: option({
    flag: 'metrics-endpoints',
    legacyEnv: 'METRICS_ENDPOINTS',
    inFile: false,
    description:
      'Upstreams to scrape: a JSON object {"name":"url",...} (recommended) or comma-separated URLs (named endpoint1, endpoint2, ...)',
    parse: (raw, at) => parseNonEmptyString(raw, at, 'a JSON object of upstream names to URLs, or URLs'),
  }),
  config: option({
    flag: 'config',
    inFile: false,
    description:
      'YAML or JSON file with per-upstream options (upstreams:) and any setting below (camelCase keys)',
    parse: (raw, at) => parseNonEmptyString(raw, at, 'the path of a YAML or JSON file'),
  }),
  port: option({
    flag: 'port',
    description: 'Port to serve the merged metrics on (0 picks a free one)',
    defaultText: String(CONFIG_DEFAULTS.port),
    parse: parsePort,
  }),
  host: option({
    flag: 'host',
    description: 'Address to listen on',
    defaultText: CONFIG_DEFAULTS.host,
    parse: parseHost,
  }),
  originLabel: option({
    flag: 'origin-label',
    description: 'Label added to every series, naming the container it comes from',
    defaultText: CONFIG_DEFAULTS.originLabel,
    parse: parseOriginLabel,
  }),
  selfOrigin: option({
    flag: 'self-origin',
    description: "Origin label value of the aggregator's own metrics",
    defaultText: CONFIG_DEFAULTS.selfOrigin,
    parse: parseSelfOrigin,
  }),
  selfMetrics: option({
    flag: 'self-metrics',
    boolean: true,
    description: "Serve the aggregator's own metrics; --no-self-metrics omits them",
    defaultText: String(CONFIG_DEFAULTS.selfMetrics),
    parse: parseBoolean,
  }),
  forceText: option({
    flag: 'force-text',
    boolean: true,
    description:
      "Always answer the classic text format, whatever the Accept header (needed behind Istio's metrics merge)",
    defaultText: String(CONFIG_DEFAULTS.forceText),
    parse: parseBoolean,
  }),
  upstreamTimeout: option({
    flag: 'upstream-timeout',
    description: 'Timeout of a scrape of one upstream, unless the upstream sets its own (500ms, 5s, 1m)',
    defaultText: formatDuration(CONFIG_DEFAULTS.upstreamTimeoutMs),
    parse: positiveDuration,
  }),
  scrapeTimeoutMargin: option({
    flag: 'scrape-timeout-margin',
    description: "Subtracted from Prometheus's X-Prometheus-Scrape-Timeout-Seconds to leave time to answer",
    defaultText: formatDuration(CONFIG_DEFAULTS.scrapeTimeoutMarginMs),
    parse: duration,
  }),
  maxBodyBytes: option({
    flag: 'max-body-bytes',
    description:
      'Largest exposition taken from one upstream, after decompression (10MiB, 50Mi, 1GB, 1048576)',
    defaultText: formatBytes(CONFIG_DEFAULTS.maxBodyBytes),
    parse: parseByteSize,
  }),
  maxCompressedBytes: option({
    flag: 'max-compressed-bytes',
    description: 'Largest response read from one upstream, before decompression',
    defaultText: 'the value of --max-body-bytes',
    parse: parseByteSize,
  }),
  maxSamples: option({
    flag: 'max-samples',
    description: 'Most samples taken from one upstream in one scrape',
    defaultText: String(CONFIG_DEFAULTS.maxSamples),
    parse: parseCount,
  }),
  maxLineBytes: option({
    flag: 'max-line-bytes',
    description: 'Longest line accepted in an exposition',
    defaultText: formatBytes(CONFIG_DEFAULTS.maxLineBytes),
    parse: parseByteSize,
  }),
  logLevel: option({
    flag: 'log-level',
    legacyEnv: 'LOG_LEVEL',
    description: 'debug, info, warn or error',
    defaultText: CONFIG_DEFAULTS.logLevel,
    parse: parseLogLevel,
  }),
  shutdownGrace: option({
    flag: 'shutdown-grace',
    description: 'Time given to scrapes in flight after SIGTERM before exiting',
    defaultText: formatDuration(CONFIG_DEFAULTS.shutdownGraceMs),
    parse: duration,
  }),
  tracing: option({
    flag: 'tracing',
    boolean: true,
    description: 'Export OpenTelemetry traces of the scrapes',
    defaultText: String(CONFIG_DEFAULTS.tracing),
    parse: parseBoolean,
  }),
  tracingEndpoint: option({
    flag: 'tracing-endpoint',
    description: 'OTLP endpoint for the traces (without it, the OTEL_EXPORTER_OTLP_* variables apply)',
    parse: parseTracingEndpoint,
  }),
  demo: option({
    flag: 'demo',
    boolean: true,
    description: 'Also scrape embedded demo upstreams; no other upstream is then required',
    defaultText: String(CONFIG_DEFAULTS.demo),
    parse: parseBoolean,
  }),
});

/** The camelCase name of a global setting. */
export type OptionKey = keyof typeof OPTIONS;

/** The parsed value of a global setting. */
export type OptionValue<K extends OptionKey> = ReturnType<(typeof OPTIONS)[K]['parse']>;

function parseOriginLabel(raw: unknown, at: string): string {
  const name = parseNonEmptyString(raw, at, 'a label name');
  const problem = labelNameProblem(name);
  if (problem) throw new ConfigError('INVALID_LABEL', `${at}: ${describe(name)} ${problem}`);
  return name;
}

function parseSelfOrigin(raw: unknown, at: string): string {
  if (typeof raw !== 'string')
    throw new ConfigError('INVALID_TYPE', `${at}: expected a name, got ${describe(raw)}`);
  const problem = nameProblem(raw);
  if (problem) {
    const hint = raw === '' ? ' (to omit the own metrics, use --no-self-metrics)' : '';
    throw new ConfigError('INVALID_NAME', `${at}: ${describe(raw)} ${problem}${hint}`);
  }
  return raw;
}

function parseTracingEndpoint(raw: unknown, at: string): string {
  const text = parseNonEmptyString(raw, at, 'an http(s) URL').trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new ConfigError(
      'INVALID_URL',
      `${at}: ${describe(raw)} is not an http or https URL (e.g. http://otel-collector:4318)`,
    );
  }
  return text;
}
