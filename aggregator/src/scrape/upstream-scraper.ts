import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { version } from '../../package.json';
import { UPSTREAM_ACCEPT } from '../exposition/format';
import { classifyError } from './_classify';
import { readBody } from './_read-body';
import { Pool } from './_undici-pool';
import { formatBytes, formatDuration } from './_units';
import { ScrapeError } from './scrape-error';

/** One upstream to scrape, as validated by the configuration layer. */
export interface ScrapeTarget {
  /** Unique name, used in messages and metric labels. */
  readonly name: string;
  /** The `http:` or `https:` URL of the metrics endpoint. */
  readonly url: string;
  /** Upper bound for one scrape: connect, headers and body. */
  readonly timeoutMs: number;
  /** Extra request headers; they override the defaults except `X-Prometheus-Scrape-Timeout-Seconds`. */
  readonly headers: Readonly<Record<string, string>>;
  /** File holding a bearer token, read at every scrape so a rotated token is picked up. */
  readonly bearerTokenFile?: string;
  /** TLS settings for an `https:` URL. */
  readonly tls?: ScrapeTls;
  /** Size limits that keep memory bounded whatever the upstream sends. */
  readonly limits: ScrapeLimits;
}

/** Size limits of one response; crossing any fails the scrape with reason `limit`. */
export interface ScrapeLimits {
  /** Decoded (decompressed) body bytes. */
  readonly maxBodyBytes: number;
  /** Bytes on the wire, before decompression. */
  readonly maxCompressedBytes: number;
  /** Bytes of one line, between two newlines. */
  readonly maxLineBytes: number;
}

/** TLS settings of an `https:` upstream. */
export interface ScrapeTls {
  /** PEM file of the CA bundle to verify the upstream with, read once, at the first scrape. */
  readonly caFile?: string;
  /** Name sent as SNI and checked against the certificate, instead of the URL's host. */
  readonly serverName?: string;
  /** Accept any certificate: encryption without authentication. */
  readonly insecureSkipVerify: boolean;
}

/** A successful scrape: the decoded body, untouched. */
export interface ScrapeResult {
  readonly upstream: string;
  /** The body, decompressed. */
  readonly body: Buffer;
  /** The upstream's Content-Type, for the exposition engine to pick a parser. */
  readonly contentType: string | undefined;
  /** Bytes received on the wire (compressed when the upstream gzips). */
  readonly compressedBytes: number;
  readonly durationMs: number;
  readonly status: number;
}

/** Options of an UpstreamScraper. */
export interface UpstreamScraperOptions {
  /**
   * The User-Agent request header.
   * @default `metrics-aggregator/<version>`
   */
  readonly userAgent?: string;
}

/**
 * Connections per upstream. One keeps the upstream's load minimal and the connection reused at every
 * scrape (with two, undici alternates between them); overlapping rounds queue, each within its own deadline.
 */
const CONNECTIONS_PER_UPSTREAM = 1;
/** Idle time a connection is kept, above the usual scrape intervals so it is reused across rounds. */
const KEEP_ALIVE_MS = 60_000;
/** Bytes of an error response read to keep its connection; a longer one closes the connection instead. */
const ERROR_BODY_DRAIN_BYTES = 64 * 1024;

interface Upstream {
  readonly target: ScrapeTarget;
  readonly origin: string;
  readonly path: string;
  pool?: Pool;
}

/** Fetches the bytes of every upstream over keep-alive connections, within a deadline and size limits. */
export class UpstreamScraper {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly userAgent: string;
  private closed = false;

  constructor(targets: readonly ScrapeTarget[], options: UpstreamScraperOptions = {}) {
    this.userAgent = options.userAgent ?? `metrics-aggregator/${version}`;
    for (const target of targets) {
      if (this.upstreams.has(target.name)) {
        throw new Error(`upstream names must be unique, got '${target.name}' twice`);
      }
      const url = new URL(target.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`upstream '${target.name}': url must be http: or https:, got '${target.url}'`);
      }
      this.upstreams.set(target.name, { target, origin: url.origin, path: `${url.pathname}${url.search}` });
    }
  }

  /**
   * Scrapes one upstream, by name, before `deadline` (epoch ms) and within its own timeout; rejects with a
   * ScrapeError only (an unknown name is a bug and rejects with a plain Error).
   */
  async scrape(name: string, deadline: number, signal?: AbortSignal): Promise<ScrapeResult> {
    const upstream = this.upstreams.get(name);
    if (!upstream) throw new Error(`unknown upstream '${name}'`);
    const { target } = upstream;
    if (this.closed) throw new ScrapeError(name, 'aborted', 'the scraper is closed');
    if (signal?.aborted) throw new ScrapeError(name, 'aborted', 'scrape aborted', { cause: signal.reason });

    const started = performance.now();
    const untilDeadline = deadline - Date.now();
    const byDeadline = untilDeadline < target.timeoutMs;
    const budgetMs = Math.min(target.timeoutMs, untilDeadline);
    // Errors are made when they happen, not per scrape: an Error captures a stack trace, which costs.
    const timeoutError = (): ScrapeError =>
      new ScrapeError(
        name,
        'timeout',
        byDeadline
          ? `no complete response before the scrape round's deadline (${formatDuration(Math.max(budgetMs, 0))} left)`
          : `no complete response within the ${formatDuration(target.timeoutMs)} timeout`,
      );
    if (budgetMs <= 0) throw timeoutError();

    // One signal bounds the whole exchange: connect, headers, body, and the files read on the way.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutError()), budgetMs);
    const onAbort = (): void => controller.abort(new ScrapeError(name, 'aborted', 'scrape aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const pool = await this.poolOf(upstream, controller.signal);
      const headers = await this.requestHeaders(target, budgetMs, controller.signal);
      const response = await requestWithin(pool, upstream.path, headers, controller.signal);
      const { statusCode, body } = response;
      if (statusCode < 200 || statusCode > 299) {
        // Read a short error body so the connection is kept; a long or slow one is cut by limit or signal.
        await body.dump({ limit: ERROR_BODY_DRAIN_BYTES, signal: controller.signal }).catch(() => {});
        throw statusError(name, target.url, statusCode, header(response.headers.location));
      }
      try {
        const gzip = isGzip(name, header(response.headers['content-encoding']));
        checkContentLength(name, header(response.headers['content-length']), gzip, target.limits);
        const { body: bytes, wireBytes } = await readBody(name, body, gzip, target.limits, controller.signal);
        return {
          upstream: name,
          body: bytes,
          contentType: header(response.headers['content-type']),
          compressedBytes: wireBytes,
          durationMs: performance.now() - started,
          status: statusCode,
        };
      } finally {
        // A body left unread (a limit, an error) is destroyed, which closes its connection.
        body.on('error', noop).destroy();
      }
    } catch (err) {
      throw toScrapeError(name, target.url, err, controller.signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Closes every connection, after the scrapes in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.pool?.close()));
  }

  private async poolOf(upstream: Upstream, signal: AbortSignal): Promise<Pool> {
    if (upstream.pool) return upstream.pool;
    const { target } = upstream;
    let ca: Buffer | undefined;
    if (target.tls?.caFile) {
      try {
        ca = await readFile(target.tls.caFile, { signal });
      } catch (err) {
        if (signal.aborted) throw err;
        throw new ScrapeError(
          target.name,
          'credentials',
          `cannot read CA file '${target.tls.caFile}': ${messageOf(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    // A concurrent first scrape may have made the pool while the CA was read.
    upstream.pool ??= new Pool(upstream.origin, {
      connections: CONNECTIONS_PER_UPSTREAM,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connect: {
        ca,
        servername: target.tls?.serverName,
        rejectUnauthorized: !target.tls?.insecureSkipVerify,
      },
    });
    return upstream.pool;
  }

  private async requestHeaders(
    target: ScrapeTarget,
    budgetMs: number,
    signal: AbortSignal,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      accept: UPSTREAM_ACCEPT,
      'accept-encoding': 'gzip',
      'user-agent': this.userAgent,
    };
    for (const [key, value] of Object.entries(target.headers)) headers[key.toLowerCase()] = value;
    if (target.bearerTokenFile) {
      headers.authorization = `Bearer ${await readToken(target.name, target.bearerTokenFile, signal)}`;
    }
    // As Prometheus does, so an upstream can bound its own work to what is left of the scrape.
    headers['x-prometheus-scrape-timeout-seconds'] = String(budgetMs / 1000);
    return headers;
  }
}

/**
 * Sends the request; rejects as soon as the signal aborts, also while the request still waits in the
 * pool's queue behind another scrape (undici only honours the signal once the request is dispatched).
 */
function requestWithin(
  pool: Pool,
  path: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pool
      // The signal bounds the whole exchange; undici's idle timers would only race it.
      .request({ method: 'GET', path, headers, signal, headersTimeout: 0, bodyTimeout: 0 })
      .then(
        (response) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) response.body.on('error', noop).destroy();
          resolve(response);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
  });
}

async function readToken(upstream: string, file: string, signal: AbortSignal): Promise<string> {
  let token: string;
  try {
    token = (await readFile(file, { encoding: 'utf8', signal })).trim();
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ScrapeError(
      upstream,
      'credentials',
      `cannot read bearer token file '${file}': ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
  if (!token) throw new ScrapeError(upstream, 'credentials', `bearer token file '${file}' is empty`);
  return token;
}

function isGzip(upstream: string, encoding: string | undefined): boolean {
  const value = encoding?.trim().toLowerCase();
  if (!value || value === 'identity') return false;
  if (value === 'gzip' || value === 'x-gzip') return true;
  throw new ScrapeError(
    upstream,
    'decompress',
    `unsupported Content-Encoding '${encoding}' (only gzip was accepted, with Accept-Encoding: gzip)`,
  );
}

/** Fails before reading a body whose announced size is already over a limit. */
function checkContentLength(
  upstream: string,
  contentLength: string | undefined,
  gzip: boolean,
  limits: ScrapeLimits,
): void {
  if (contentLength === undefined) return;
  const length = Number(contentLength);
  if (!gzip && length > limits.maxBodyBytes) {
    throw new ScrapeError(
      upstream,
      'limit',
      `Content-Length ${length} exceeds the ${formatBytes(limits.maxBodyBytes)} body limit`,
    );
  }
  if (length > limits.maxCompressedBytes) {
    throw new ScrapeError(
      upstream,
      'limit',
      `Content-Length ${length} exceeds the ${formatBytes(limits.maxCompressedBytes)} transfer limit`,
    );
  }
}

function statusError(
  upstream: string,
  url: string,
  status: number,
  location: string | undefined,
): ScrapeError {
  const text = STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : '';
  const redirect = location ? ` (redirects are not followed; point the url at ${location})` : '';
  return new ScrapeError(upstream, 'status', `${url} returned HTTP ${status}${text}${redirect}`, { status });
}

function toScrapeError(upstream: string, url: string, err: unknown, signal: AbortSignal): ScrapeError {
  if (err instanceof ScrapeError) return err;
  // Once the signal fired, whatever undici, the stream or zlib threw is a consequence of it.
  if (signal.aborted && signal.reason instanceof ScrapeError) return signal.reason;
  const reason = classifyError(err);
  const message = messageOf(err);
  switch (reason) {
    case 'refused':
      return new ScrapeError(
        upstream,
        reason,
        `connection to ${url} refused; is the container listening on that port?`,
        {
          cause: err,
        },
      );
    case 'reset':
      return new ScrapeError(
        upstream,
        reason,
        `connection closed before the response was complete (${message})`,
        {
          cause: err,
        },
      );
    case 'decompress':
      return new ScrapeError(upstream, reason, `invalid gzip body (${message})`, { cause: err });
    case 'tls':
      return new ScrapeError(upstream, reason, `TLS with ${url} failed: ${message}`, { cause: err });
    case 'timeout':
      return new ScrapeError(upstream, reason, `timed out (${message})`, { cause: err });
    default:
      return new ScrapeError(upstream, reason, `request to ${url} failed: ${message}`, { cause: err });
  }
}

/** The one value of a response header (the first, if it was repeated). */
function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The most telling message of an error: OpenSSL's short reason, or the first error of an AggregateError. */
function messageOf(err: unknown): string {
  // Duck-typed: errors from Node's internals may come from another realm (jest, vm) than our `Error`.
  if (typeof err !== 'object' || err === null) return String(err);
  const { message, code, reason, errors } = err as {
    message?: unknown;
    code?: unknown;
    reason?: unknown;
    errors?: unknown;
  };
  if (Array.isArray(errors) && errors.length > 0) return messageOf(errors[0]);
  if (typeof reason === 'string' && typeof code === 'string') return `${reason} (${code})`;
  if (typeof message === 'string' && message) return message;
  return typeof code === 'string' ? code : String(err);
}

function noop(): void {}
