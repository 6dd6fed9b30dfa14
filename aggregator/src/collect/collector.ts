import type { Config, UpstreamConfig } from '../config';
import {
  type ExpositionFormat,
  ExpositionParseError,
  formatOfContentType,
  type MergeResult,
  type MergeSource,
  mergeExpositions,
  type ParsedExposition,
  parseExposition,
} from '../exposition';
import type { Logger } from '../observability/logger';
import type { SelfMetrics, UpstreamFailureReason } from '../observability/self-metrics';
import type { ScrapeSpan, UpstreamSpan } from '../observability/tracing';
import { ScrapeError, type UpstreamScraper } from '../scrape';
import { filterFamilies } from './family-filter';
import type { UpstreamStatus } from './upstream-status';

/** One merged answer for one scrape. */
export interface Collection {
  readonly merge: MergeResult;
  /** Upstreams that answered usable bodies this time. */
  readonly upstreamsUp: number;
  readonly upstreamsTotal: number;
  /** True when this scrape joined a round that another scrape started. */
  readonly coalesced: boolean;
}

/** The outcome of scraping every upstream once; shared by the scrapes that arrive while it runs. */
interface Round {
  readonly done: Promise<readonly (MergeSource | undefined)[]>;
  /** Merged bodies of this round, one per format asked for. */
  readonly merges: Map<ExpositionFormat, Promise<MergeResult>>;
  /** The self metrics the round does not change, rendered while it waits on the upstreams. */
  readonly steadySelf: Promise<string> | undefined;
}

/**
 * Scrapes every upstream concurrently and merges what they answer. Scrapes that arrive while a
 * round is in flight share it instead of multiplying the load on the application containers.
 */
export class Collector {
  private inFlight: Round | undefined;
  private readonly statuses = new Map<string, UpstreamStatus>();
  /** Each origin's last parse, unfiltered: its next body mostly differs only in values (see ParseOptions.previous). */
  private readonly lastParses = new Map<string, ParsedExposition>();
  private readonly reserved: readonly string[];

  constructor(
    private readonly config: Config,
    private readonly upstreams: readonly UpstreamConfig[],
    private readonly scraper: UpstreamScraper,
    private readonly metrics: SelfMetrics | undefined,
    private readonly logger: Logger,
  ) {
    for (const u of upstreams) {
      this.statuses.set(u.name, {
        name: u.name,
        url: u.url,
        up: undefined,
        lastScrape: undefined,
        durationMs: undefined,
        samples: undefined,
        bytes: undefined,
        error: undefined,
      });
    }
    this.reserved = [config.originLabel];
  }

  /** The last known state of every upstream, in configuration order. */
  status(): UpstreamStatus[] {
    return [...this.statuses.values()];
  }

  /**
   * A merged exposition in `format` (or classic text when OpenMetrics cannot hold it), before
   * `deadline`; the upstream spans of a new round become children of `span`.
   */
  async collect(format: ExpositionFormat, deadline: number, span?: ScrapeSpan): Promise<Collection> {
    let round = this.inFlight;
    const coalesced = round !== undefined;
    if (!round) {
      const done = this.scrapeAll(deadline, span);
      const metrics = this.config.selfOrigin === undefined ? undefined : this.metrics;
      // After this turn, once the upstream requests are on their way.
      const steadySelf =
        metrics && new Promise((next) => setImmediate(next)).then(() => metrics.renderSteady());
      round = { done, merges: new Map(), steadySelf };
      this.inFlight = round;
      const started = round;
      done.finally(() => {
        if (this.inFlight === started) this.inFlight = undefined;
      });
    }
    const sources = await round.done;
    let merge = round.merges.get(format);
    if (!merge) {
      merge = this.merge(round, sources, format);
      round.merges.set(format, merge);
    }
    const upstreamsUp = sources.filter((s) => s !== undefined).length;
    return { merge: await merge, upstreamsUp, upstreamsTotal: this.upstreams.length, coalesced };
  }

  private async merge(
    round: Round,
    sources: readonly (MergeSource | undefined)[],
    format: ExpositionFormat,
  ): Promise<MergeResult> {
    const present = sources.filter((s): s is MergeSource => s !== undefined);
    const metrics = this.metrics;
    const origin = this.config.selfOrigin;
    if (metrics && round.steadySelf && origin !== undefined) {
      const body = Buffer.from((await round.steadySelf) + (await metrics.renderPerUpstream()), 'utf8');
      const exposition = this.parse(origin, body, 'text', this.reserved);
      present.push({ origin, exposition });
    }
    const result = mergeExpositions(present, { format, originLabel: this.config.originLabel });
    if (result.typeConflicts.length > 0 || result.fallbackReason) {
      this.logger.debug('merge note', {
        typeConflicts: result.typeConflicts.length,
        fallbackReason: result.fallbackReason,
      });
    }
    if (metrics) {
      metrics.typeConflicts.set(result.typeConflicts.length);
      metrics.typeConflictsTotal.inc(result.typeConflicts.length);
      if (result.fallbackReason) metrics.formatFallbacks.inc();
      metrics.droppedSamples.inc(result.droppedSamples);
    }
    return result;
  }

  private scrapeAll(deadline: number, span: ScrapeSpan | undefined): Promise<(MergeSource | undefined)[]> {
    return Promise.all(
      this.upstreams.map((u) => this.scrapeOne(u, deadline, span?.startUpstream(u.name, u.url))),
    );
  }

  /** One upstream's parsed body, or undefined when it drops out of this round (counted and logged). */
  private async scrapeOne(
    upstream: UpstreamConfig,
    deadline: number,
    span: UpstreamSpan | undefined,
  ): Promise<MergeSource | undefined> {
    const started = performance.now();
    const budgetMs = Math.max(0, Math.min(upstream.timeoutMs, deadline - Date.now()));
    const labels = { upstream: upstream.name };
    this.metrics?.upstreamTimeout.set(labels, budgetMs / 1000);
    let bytes: number | undefined;
    try {
      const result = await this.scraper.scrape(upstream.name, deadline);
      bytes = result.body.length;
      const exposition = filterFamilies(
        this.parse(upstream.name, result.body, formatOfContentType(result.contentType), [
          this.config.originLabel,
          ...upstream.labels.map((l) => l.name),
        ]),
        upstream.keep,
        upstream.drop,
      );
      const samples = exposition.samples.length;
      if (samples > upstream.limits.maxSamples) {
        throw new UpstreamFailure(
          'limit',
          `upstream '${upstream.name}': ${samples} samples exceed the limit of ${upstream.limits.maxSamples}`,
        );
      }
      this.record(upstream, started, { up: true, samples, bytes, error: undefined });
      span?.end({ outcome: 'up', bytes, samples });
      return { origin: upstream.name, exposition, labels: upstream.labels };
    } catch (error) {
      const failure = describeFailure(upstream, error);
      const outcome = failure.reason === 'aborted' ? 'aborted' : 'down';
      span?.end({ outcome, errorReason: failure.reason, errorMessage: failure.message, bytes });
      if (failure.reason === 'aborted') return undefined;
      this.metrics?.upstreamErrors.inc({ upstream: upstream.name, reason: failure.reason });
      this.record(upstream, started, { up: false, samples: undefined, bytes, error: failure });
      return undefined;
    }
  }

  private parse(
    origin: string,
    body: Buffer,
    format: ExpositionFormat,
    reservedLabels: readonly string[],
  ): ParsedExposition {
    const previous = this.lastParses.get(origin);
    const parsed = parseExposition(body, format, { reservedLabels, previous });
    this.lastParses.set(origin, parsed);
    return parsed;
  }

  private record(
    upstream: UpstreamConfig,
    started: number,
    outcome: Pick<UpstreamStatus, 'up' | 'samples' | 'bytes' | 'error'>,
  ): void {
    const durationMs = performance.now() - started;
    const previous = this.statuses.get(upstream.name);
    this.statuses.set(upstream.name, {
      name: upstream.name,
      url: upstream.url,
      lastScrape: new Date(),
      durationMs,
      ...outcome,
    });
    const labels = { upstream: upstream.name };
    if (this.metrics) {
      this.metrics.upstreamUp.set(labels, outcome.up ? 1 : 0);
      this.metrics.upstreamScrapeDuration.set(labels, durationMs / 1000);
      if (outcome.bytes !== undefined) this.metrics.upstreamResponseBytes.set(labels, outcome.bytes);
      if (outcome.samples !== undefined) this.metrics.upstreamSamples.set(labels, outcome.samples);
    }
    // One line per change of state, not per scrape: a down upstream does not flood the logs. The reason,
    // not the message, tells a change: a timeout's message says how much of the deadline was left.
    const changed = previous?.up !== outcome.up || previous?.error?.reason !== outcome.error?.reason;
    if (!changed) return;
    if (outcome.up) {
      this.logger.info('upstream up', {
        upstream: upstream.name,
        url: upstream.url,
        samples: outcome.samples,
      });
    } else {
      this.logger.warn('upstream down', {
        upstream: upstream.name,
        url: upstream.url,
        reason: outcome.error?.reason,
        error: outcome.error?.message,
      });
    }
  }
}

/** A failure found after the bytes arrived (over the sample limit). */
class UpstreamFailure extends Error {
  constructor(
    readonly reason: UpstreamFailureReason,
    message: string,
  ) {
    super(message);
  }
}

function describeFailure(
  upstream: UpstreamConfig,
  error: unknown,
): { reason: UpstreamFailureReason | 'aborted'; message: string } {
  if (error instanceof ScrapeError) return { reason: error.reason, message: error.message };
  if (error instanceof UpstreamFailure) return { reason: error.reason, message: error.message };
  if (error instanceof ExpositionParseError) {
    return {
      reason: 'parse',
      message: `upstream '${upstream.name}': invalid exposition at ${error.message}`,
    };
  }
  return { reason: 'network', message: `upstream '${upstream.name}': ${String(error)}` };
}
