import type { UpstreamFailureReason } from '../observability/self-metrics';

/** What the last scrape of an upstream gave, for the status page and the logs. */
export interface UpstreamStatus {
  readonly name: string;
  readonly url: string;
  /** Undefined until the first scrape. */
  readonly up: boolean | undefined;
  readonly lastScrape: Date | undefined;
  readonly durationMs: number | undefined;
  readonly samples: number | undefined;
  readonly bytes: number | undefined;
  readonly error: { readonly reason: UpstreamFailureReason; readonly message: string } | undefined;
}
