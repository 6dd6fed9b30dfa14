import type { Config } from '../config';
import type { ExpositionFormat } from '../exposition';
import type { Logger } from './logger';

/** The span of one /metrics request. */
export const SCRAPE_SPAN_NAME = 'metrics-aggregator.scrape';
/** The span of one upstream's scrape, a child of the scrape span that started the round. */
export const UPSTREAM_SPAN_NAME = 'metrics-aggregator.upstream';

/** What an answered /metrics request records on its span. */
export interface ScrapeOutcome {
  /** The format the Accept header (or --force-text) asked for. */
  readonly negotiatedFormat: ExpositionFormat;
  /** The format written: classic text when OpenMetrics could not hold the merge. */
  readonly answerFormat: ExpositionFormat;
  readonly upstreamsUp: number;
  readonly upstreamsTotal: number;
  readonly samples: number;
  readonly httpStatus: number;
  /** True when the request joined a round that another request started (no upstream children). */
  readonly coalesced: boolean;
}

/** What one upstream's scrape records on its span. */
export interface UpstreamOutcome {
  /** `up`: its body was merged; `down`: it failed; `aborted`: the aggregator stopped first. */
  readonly outcome: 'up' | 'down' | 'aborted';
  /** The failure reason, as in the `reason` label of the upstream error counter. */
  readonly errorReason?: string;
  readonly errorMessage?: string;
  /** Bytes of the body after decompression. */
  readonly bytes?: number;
  readonly samples?: number;
}

/** An open upstream span. */
export interface UpstreamSpan {
  end(outcome: UpstreamOutcome): void;
}

/** An open scrape span. */
export interface ScrapeSpan {
  startUpstream(name: string, url: string): UpstreamSpan;
  end(outcome: ScrapeOutcome): void;
  /** Ends the span as failed: the request threw before it was answered. */
  fail(error: unknown): void;
}

/** The aggregator's view of tracing: scrape spans and a final flush, nothing of the SDK. */
export interface Tracer {
  startScrape(): ScrapeSpan;
  /** Exports the spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * The tracer for this configuration, or undefined when tracing is off: callers then pay one null
 * check per scrape, and the OpenTelemetry SDK is neither loaded nor evaluated.
 */
export function createTracer(config: Config['tracing'], version: string, logger: Logger): Tracer | undefined {
  if (!config.enabled) return undefined;
  // A require here, not an import: esbuild then leaves the SDK's modules uninitialised until now.
  const { OtelTracer } = require('./_otel-tracer') as typeof import('./_otel-tracer');
  const url = config.endpoint === undefined ? undefined : tracesUrl(config.endpoint);
  return new OtelTracer({ url, version, logger });
}

/**
 * The OTLP/HTTP traces URL of `--tracing-endpoint`: an origin alone gets `/v1/traces` appended, as
 * OTEL_EXPORTER_OTLP_ENDPOINT does; a URL with a path is used as given, as
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is (OTLP specification, "Endpoint URLs for OTLP/HTTP").
 */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname !== '/' || url.search !== '') return endpoint;
  url.pathname = '/v1/traces';
  return url.href;
}
