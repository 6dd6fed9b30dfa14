import type { ScrapeErrorReason } from '../scrape';
import { Counter, Gauge, Histogram, Registry } from './_prom-client';
import { registerProcessMetrics } from './process-metrics';

/** Why an upstream dropped out of a scrape: the scraper's reasons, plus what parsing and limits add. */
export type UpstreamFailureReason = ScrapeErrorReason | 'parse';

const REASONS: readonly UpstreamFailureReason[] = [
  'refused',
  'timeout',
  'status',
  'reset',
  'limit',
  'decompress',
  'tls',
  'credentials',
  'network',
  'parse',
];

/**
 * The aggregator's own metrics, served as one more origin of the merged output. The per-upstream
 * ones live apart: they change while a round of upstream scrapes runs, the others can be rendered
 * while it waits on the network.
 */
export class SelfMetrics {
  private readonly steady = new Registry();
  private readonly perUpstream = new Registry();
  /** Every metric, for reading as a whole (tests, docs). */
  readonly registry: Registry;
  readonly upstreamUp: Gauge<'upstream'>;
  readonly upstreamScrapeDuration: Gauge<'upstream'>;
  readonly upstreamTimeout: Gauge<'upstream'>;
  readonly upstreamResponseBytes: Gauge<'upstream'>;
  readonly upstreamSamples: Gauge<'upstream'>;
  readonly upstreamErrors: Counter<'upstream' | 'reason'>;
  readonly typeConflicts: Gauge;
  readonly typeConflictsTotal: Counter;
  readonly formatFallbacks: Counter;
  readonly droppedSamples: Counter;
  readonly scrapes: Counter<'format' | 'code'>;
  readonly scrapeDuration: Histogram;
  readonly coalescedScrapes: Counter;

  constructor(upstreams: readonly string[], version: string) {
    const perUpstream = [this.perUpstream];
    const steady = [this.steady];
    const upstream = ['upstream'] as const;
    new Gauge({
      name: 'metrics_aggregator_build_info',
      help: 'Always 1; the version label tells which metrics-aggregator runs.',
      labelNames: ['version'],
      registers: steady,
    }).set({ version }, 1);
    this.upstreamUp = new Gauge({
      name: 'metrics_aggregator_upstream_up',
      help: '1 when the last scrape of the upstream succeeded, 0 when it failed (see metrics_aggregator_upstream_errors_total).',
      labelNames: upstream,
      registers: perUpstream,
    });
    this.upstreamScrapeDuration = new Gauge({
      name: 'metrics_aggregator_upstream_scrape_duration_seconds',
      help: 'Duration of the last scrape of the upstream, failed or not.',
      labelNames: upstream,
      registers: perUpstream,
    });
    this.upstreamTimeout = new Gauge({
      name: 'metrics_aggregator_upstream_scrape_timeout_seconds',
      help: 'Time the last scrape of the upstream was given: its timeout, or less when the scrape deadline was nearer.',
      labelNames: upstream,
      registers: perUpstream,
    });
    this.upstreamResponseBytes = new Gauge({
      name: 'metrics_aggregator_upstream_response_bytes',
      help: 'Size of the last response body of the upstream, after decompression.',
      labelNames: upstream,
      registers: perUpstream,
    });
    this.upstreamSamples = new Gauge({
      name: 'metrics_aggregator_upstream_samples',
      help: 'Samples in the last successful scrape of the upstream.',
      labelNames: upstream,
      registers: perUpstream,
    });
    this.upstreamErrors = new Counter({
      name: 'metrics_aggregator_upstream_errors_total',
      help: 'Failed scrapes of the upstream, by reason (refused, timeout, status, reset, limit, decompress, tls, credentials, network, parse).',
      labelNames: ['upstream', 'reason'],
      registers: perUpstream,
    });
    this.typeConflicts = new Gauge({
      name: 'metrics_aggregator_conflicting_families',
      help: 'Metric families declared with different types by different upstreams in the last scrape.',
      registers: steady,
    });
    this.typeConflictsTotal = new Counter({
      name: 'metrics_aggregator_type_conflicts_total',
      help: 'Metric family type conflicts met while merging, summed over scrapes.',
      registers: steady,
    });
    this.formatFallbacks = new Counter({
      name: 'metrics_aggregator_format_fallbacks_total',
      help: 'Scrapes that asked for OpenMetrics and got classic text, because OpenMetrics could not hold the merge without renaming a series.',
      registers: steady,
    });
    this.droppedSamples = new Counter({
      name: 'metrics_aggregator_dropped_samples_total',
      help: 'Samples the answer format could not carry (OpenMetrics timestamps beyond int64 milliseconds).',
      registers: steady,
    });
    this.scrapes = new Counter({
      name: 'metrics_aggregator_scrapes_total',
      help: 'Scrapes of /metrics served, by answer format and HTTP status code.',
      labelNames: ['format', 'code'],
      registers: steady,
    });
    this.scrapeDuration = new Histogram({
      name: 'metrics_aggregator_scrape_duration_seconds',
      help: 'Time to answer a scrape of /metrics.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: steady,
    });
    this.coalescedScrapes = new Counter({
      name: 'metrics_aggregator_coalesced_scrapes_total',
      help: 'Scrapes of /metrics answered from an upstream round already in flight for another scraper.',
      registers: steady,
    });
    registerProcessMetrics(this.steady);
    this.registry = Registry.merge([this.steady, this.perUpstream]);
    // Every series exists from the start, so rate() and absent() work from the first scrape.
    for (const name of upstreams) {
      this.upstreamUp.set({ upstream: name }, 0);
      for (const reason of REASONS) this.upstreamErrors.inc({ upstream: name, reason }, 0);
    }
  }

  /** The metrics in classic text, ready for the exposition engine. */
  async render(): Promise<Buffer> {
    return Buffer.from((await this.renderSteady()) + (await this.renderPerUpstream()), 'utf8');
  }

  /** The metrics a round of upstream scrapes does not change, in classic text. */
  renderSteady(): Promise<string> {
    return this.steady.metrics();
  }

  /** The per-upstream metrics, in classic text: render them once the round is over. */
  renderPerUpstream(): Promise<string> {
    return this.perUpstream.metrics();
  }
}
