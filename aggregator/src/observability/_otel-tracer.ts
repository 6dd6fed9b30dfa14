// Loaded only by createTracer when tracing is on: the one module that touches the OpenTelemetry SDK.
import {
  type Attributes,
  type Context,
  type Tracer as OtelApiTracer,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { Logger } from './logger';
import {
  SCRAPE_SPAN_NAME,
  type ScrapeOutcome,
  type ScrapeSpan,
  type Tracer,
  UPSTREAM_SPAN_NAME,
  type UpstreamOutcome,
  type UpstreamSpan,
} from './tracing';

const SERVICE_NAME = 'metrics-aggregator';

/** The aggregator's own attributes, in its namespace (OpenTelemetry attribute naming rules). */
const ATTR = {
  negotiatedFormat: 'metrics_aggregator.format.negotiated',
  answerFormat: 'metrics_aggregator.format.answered',
  upstreamsUp: 'metrics_aggregator.upstreams.up',
  upstreamsTotal: 'metrics_aggregator.upstreams.total',
  samples: 'metrics_aggregator.samples',
  coalesced: 'metrics_aggregator.coalesced',
  upstreamName: 'metrics_aggregator.upstream.name',
  upstreamOutcome: 'metrics_aggregator.upstream.outcome',
  upstreamBytes: 'metrics_aggregator.upstream.bytes',
  upstreamSamples: 'metrics_aggregator.upstream.samples',
} as const;

/** Bounds the final export: a collector that does not answer must not hold up the pod's shutdown. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

export interface OtelTracerOptions {
  /** The OTLP/HTTP traces URL; undefined leaves it to the OTEL_EXPORTER_OTLP_* variables. */
  readonly url: string | undefined;
  readonly version: string;
  readonly logger: Logger;
}

/** Scrape spans recorded by the OpenTelemetry SDK and exported in batches over OTLP/HTTP (JSON). */
export class OtelTracer implements Tracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: OtelApiTracer;
  private readonly logger: Logger;

  constructor({ url, version, logger }: OtelTracerOptions) {
    this.logger = logger;
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (e.g. k8s.pod.name) override the defaults.
    const resource = defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME, [ATTR_SERVICE_VERSION]: version }))
      .merge(detectResources({ detectors: [envDetector] }));
    const exporter = new LoggedExporter(new OTLPTraceExporter(url === undefined ? {} : { url }), logger);
    this.provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
    this.tracer = this.provider.getTracer(SERVICE_NAME, version);
    logger.info('tracing on', {
      endpoint: url === undefined ? 'OTEL_EXPORTER_OTLP_*' : redactCredentials(url),
    });
  }

  startScrape(): ScrapeSpan {
    // Rooted explicitly: Prometheus sends no trace context, and no context manager is registered.
    const span = this.tracer.startSpan(SCRAPE_SPAN_NAME, { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    return new OtelScrapeSpan(span, this.tracer);
  }

  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), SHUTDOWN_TIMEOUT_MS);
    });
    try {
      const flushed = this.provider.shutdown().then(() => false);
      if (await Promise.race([flushed, timedOut])) {
        this.logger.warn('trace export abandoned at shutdown', { timeoutMs: SHUTDOWN_TIMEOUT_MS });
      }
    } catch (error) {
      this.logger.warn('trace export failed at shutdown', { error: String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}

class OtelScrapeSpan implements ScrapeSpan {
  private readonly context: Context;

  constructor(
    private readonly span: Span,
    private readonly tracer: OtelApiTracer,
  ) {
    this.context = trace.setSpan(ROOT_CONTEXT, span);
  }

  startUpstream(name: string, url: string): UpstreamSpan {
    const attributes = { [ATTR.upstreamName]: name, [ATTR_URL_FULL]: redactCredentials(url) };
    const span = this.tracer.startSpan(
      UPSTREAM_SPAN_NAME,
      { kind: SpanKind.CLIENT, attributes },
      this.context,
    );
    return new OtelUpstreamSpan(span);
  }

  end(outcome: ScrapeOutcome): void {
    this.span.setAttributes({
      [ATTR.negotiatedFormat]: outcome.negotiatedFormat,
      [ATTR.answerFormat]: outcome.answerFormat,
      [ATTR.upstreamsUp]: outcome.upstreamsUp,
      [ATTR.upstreamsTotal]: outcome.upstreamsTotal,
      [ATTR.samples]: outcome.samples,
      [ATTR.coalesced]: outcome.coalesced,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: outcome.httpStatus,
    });
    // HTTP server span status (semantic conventions): only 5xx answers are errors.
    if (outcome.httpStatus >= 500) {
      this.span.setAttribute(ATTR_ERROR_TYPE, String(outcome.httpStatus));
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.end();
  }

  fail(error: unknown): void {
    this.span.recordException(error instanceof Error ? error : String(error));
    this.span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : '_OTHER');
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    this.span.end();
  }
}

class OtelUpstreamSpan implements UpstreamSpan {
  constructor(private readonly span: Span) {}

  end(outcome: UpstreamOutcome): void {
    const attributes: Attributes = { [ATTR.upstreamOutcome]: outcome.outcome };
    if (outcome.errorReason !== undefined) attributes[ATTR_ERROR_TYPE] = outcome.errorReason;
    if (outcome.bytes !== undefined) attributes[ATTR.upstreamBytes] = outcome.bytes;
    if (outcome.samples !== undefined) attributes[ATTR.upstreamSamples] = outcome.samples;
    this.span.setAttributes(attributes);
    if (outcome.outcome === 'down') {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorMessage });
    }
    this.span.end();
  }
}

/** Logs failed exports once per change of state, not once per batch, like the upstream logs. */
class LoggedExporter implements SpanExporter {
  private failing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      const failed = result.code !== ExportResultCode.SUCCESS;
      if (failed && !this.failing) {
        // OTLPExporterError carries the collector's HTTP status and answer.
        const error = result.error as (Error & { code?: number; data?: string }) | undefined;
        this.logger.warn('trace export failed', {
          spans: spans.length,
          error: String(error),
          status: error?.code,
          response: error?.data,
        });
      } else if (!failed && this.failing) {
        this.logger.info('trace export recovered');
      }
      this.failing = failed;
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** `url.full` must not carry credentials (semantic conventions, url attributes). */
function redactCredentials(url: string): string {
  if (!url.includes('@')) return url;
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return url;
  if (parsed.username !== '') parsed.username = 'REDACTED';
  if (parsed.password !== '') parsed.password = 'REDACTED';
  return parsed.href;
}
