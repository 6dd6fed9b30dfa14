/**
 * Why a scrape failed; a stable value, fit for a metric label.
 *
 * - `refused`: nothing listens on the upstream's port (ECONNREFUSED).
 * - `timeout`: no complete response before the upstream's timeout or the round's deadline.
 * - `aborted`: the caller's signal aborted the scrape, or the scraper was closed.
 * - `status`: the upstream answered with a status other than 2xx (redirects are not followed).
 * - `reset`: the connection was reset or closed before the response was complete.
 * - `limit`: the response exceeded the body, transfer or line limit.
 * - `decompress`: an unsupported Content-Encoding or a corrupt gzip body.
 * - `tls`: the TLS handshake or the certificate verification failed.
 * - `credentials`: the bearer token file or the CA file could not be read.
 * - `network`: any other failure; the underlying error is the `cause`.
 */
export type ScrapeErrorReason =
  | 'refused'
  | 'timeout'
  | 'aborted'
  | 'status'
  | 'reset'
  | 'limit'
  | 'decompress'
  | 'tls'
  | 'credentials'
  | 'network';

/** A failed scrape of one upstream; the message names the upstream and says what to fix. */
export class ScrapeError extends Error {
  /** Stable code shared by every scrape failure. */
  readonly code = 'scrape';
  override readonly name = 'ScrapeError';
  /** Why the scrape failed. */
  readonly reason: ScrapeErrorReason;
  /** The name of the upstream that failed. */
  readonly upstream: string;
  /** The HTTP status the upstream answered with, when the reason is `status`. */
  readonly status: number | undefined;

  constructor(
    upstream: string,
    reason: ScrapeErrorReason,
    detail: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(`upstream '${upstream}': ${detail}`, 'cause' in options ? { cause: options.cause } : undefined);
    this.upstream = upstream;
    this.reason = reason;
    this.status = options.status;
  }
}
