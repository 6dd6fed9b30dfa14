import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Collector } from '../collect/collector';
import type { Config } from '../config';
import { negotiateFormat } from '../exposition';
import type { Logger } from '../observability/logger';
import type { SelfMetrics } from '../observability/self-metrics';
import type { ScrapeSpan, Tracer } from '../observability/tracing';
import { statusPage } from './status-page';

const gzipAsync = promisify(gzip);

/** Prometheus tells its scrape timeout in this header (prometheus/scrape/scrape.go). */
const SCRAPE_TIMEOUT_HEADER = 'x-prometheus-scrape-timeout-seconds';
/** Level 1: most of gzip's gain on exposition text for a fraction of the CPU of the default level. */
const GZIP_LEVEL = 1;

/** Serves /metrics, /healthz, /readyz and the status page; knows HTTP, not formats or upstreams. */
export class MetricsServer {
  private readonly server: Server;
  private ready = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly config: Config,
    private readonly collector: Collector,
    private readonly metrics: SelfMetrics | undefined,
    private readonly logger: Logger,
    private readonly version: string,
    private readonly tracer?: Tracer,
  ) {
    this.server = createServer((req, res) => {
      const handling = this.handle(req, res).catch((error: unknown) => {
        this.logger.error('request failed', { path: req.url, error: String(error) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      });
      // In flight until the answer is handed to the socket, not only queued: closing the connections
      // earlier, at shutdown, would cut a large answer short.
      const answered = Promise.allSettled([handling, finished(res)]).then(() => {});
      this.inFlight.add(answered);
      answered.finally(() => this.inFlight.delete(answered));
    });
    // Prometheus keeps its connection between scrapes; keep ours open longer than an interval.
    this.server.keepAliveTimeout = 65_000;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(): Promise<AddressInfo> {
    const { host, port } = this.config.listen;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.ready = true;
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, lets in-flight scrapes finish (up to the grace period), then closes. */
  async close(graceMs: number): Promise<void> {
    this.ready = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const drained = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, grace]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        return this.serveMetrics(req, res);
      case '/healthz':
        return this.plain(res, 200, 'ok\n');
      case '/readyz':
        return this.ready ? this.plain(res, 200, 'ready\n') : this.plain(res, 503, 'shutting down\n');
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(statusPage(this.version, this.collector.status()));
        return;
      default:
        return this.plain(res, 404, 'not found: try /metrics\n');
    }
  }

  private plain(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  }

  private async serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const span = this.tracer?.startScrape();
    if (!span) return this.answerMetrics(req, res, undefined);
    try {
      await this.answerMetrics(req, res, span);
    } catch (error) {
      span.fail(error);
      throw error;
    }
  }

  private async answerMetrics(
    req: IncomingMessage,
    res: ServerResponse,
    span: ScrapeSpan | undefined,
  ): Promise<void> {
    const started = performance.now();
    const format = this.config.forceText ? 'text' : negotiateFormat(req.headers.accept);
    const collection = await this.collector.collect(format, this.deadlineOf(req), span);
    const { merge } = collection;
    if (collection.coalesced) this.metrics?.coalescedScrapes.inc();
    // Best effort: only when every upstream failed does the scrape fail, so that `up` tells.
    const status = collection.upstreamsUp === 0 && collection.upstreamsTotal > 0 ? 503 : 200;
    let body: Buffer = merge.body;
    const headers: Record<string, string> = {
      'content-type': merge.contentType,
      vary: 'Accept, Accept-Encoding',
    };
    if (status === 503) {
      const errors = this.collector
        .status()
        .map((s) => `${s.name}: ${s.error ? s.error.message : 'no answer'}`)
        .join('\n');
      body = Buffer.from(`every upstream failed:\n${errors}\n`);
      headers['content-type'] = 'text/plain; charset=utf-8';
    } else if (acceptsGzip(req.headers['accept-encoding'])) {
      body = await gzipAsync(body, { level: GZIP_LEVEL });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    this.metrics?.scrapes.inc({ format: merge.format, code: String(status) });
    this.metrics?.scrapeDuration.observe((performance.now() - started) / 1000);
    span?.end({
      negotiatedFormat: format,
      answerFormat: merge.format,
      upstreamsUp: collection.upstreamsUp,
      upstreamsTotal: collection.upstreamsTotal,
      samples: status === 200 ? merge.sampleCount : 0,
      httpStatus: status,
      coalesced: collection.coalesced,
    });
  }

  /** When this scrape must be answered: Prometheus's timeout minus a margin; without one, each upstream's own timeout rules. */
  private deadlineOf(req: IncomingMessage): number {
    const header = Number(req.headers[SCRAPE_TIMEOUT_HEADER]);
    if (Number.isFinite(header) && header > 0) {
      return Date.now() + Math.max(0, header * 1000 - this.config.scrapeTimeoutMarginMs);
    }
    return Number.POSITIVE_INFINITY;
  }
}

/** Whether Accept-Encoding allows gzip (RFC 9110 section 12.5.3; q=0 refuses). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (!q || Number(q.slice(2)) > 0) return coding === 'gzip' || coding === '*';
  }
  return false;
}
