import type { AddressInfo } from 'node:net';
import { Collector } from './collect/collector';
import { type Config, DEFAULT_UPSTREAM_DEFAULTS, type UpstreamConfig, VERSION } from './config';
import { DemoUpstreams } from './demo/demo-upstreams';
import { Logger } from './observability/logger';
import { SelfMetrics } from './observability/self-metrics';
import { createTracer, type Tracer } from './observability/tracing';
import { UpstreamScraper } from './scrape';
import { MetricsServer } from './server/http-server';

/** The whole sidecar, wired from a validated Config: what `metrics-aggregator` runs. */
export class Aggregator {
  private constructor(
    readonly address: AddressInfo,
    private readonly server: MetricsServer,
    private readonly scraper: UpstreamScraper,
    private readonly demo: DemoUpstreams | undefined,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly tracer: Tracer | undefined,
  ) {}

  static async start(config: Config, logger = new Logger(config.logLevel)): Promise<Aggregator> {
    const demo = config.demo ? await DemoUpstreams.start() : undefined;
    const defaults = config.upstreamDefaults ?? DEFAULT_UPSTREAM_DEFAULTS;
    const demoUpstreams: UpstreamConfig[] = (demo?.upstreams ?? []).map(({ name, url }) => ({
      name,
      url,
      timeoutMs: defaults.timeoutMs,
      headers: {},
      labels: [],
      keep: [],
      drop: [],
      limits: defaults.limits,
    }));
    const upstreams = [...config.upstreams, ...demoUpstreams];
    const scraper = new UpstreamScraper(upstreams);
    const metrics =
      config.selfOrigin === undefined
        ? undefined
        : new SelfMetrics(
            upstreams.map((u) => u.name),
            VERSION,
          );
    const collector = new Collector(config, upstreams, scraper, metrics, logger);
    const tracer = createTracer(config.tracing, VERSION, logger);
    const server = new MetricsServer(config, collector, metrics, logger, VERSION, tracer);
    let address: AddressInfo;
    try {
      address = await server.listen();
    } catch (error) {
      await scraper.close();
      await demo?.stop();
      await tracer?.shutdown();
      throw error;
    }
    logger.info('listening', {
      version: VERSION,
      address: `${address.address}:${address.port}`,
      upstreams: upstreams.map((u) => ({ name: u.name, url: u.url })),
      forceText: config.forceText,
      originLabel: config.originLabel,
    });
    return new Aggregator(address, server, scraper, demo, config, logger, tracer);
  }

  /**
   * Stops accepting scrapes, finishes those in flight within the grace period, closes upstream
   * connections, then exports the spans still buffered.
   */
  async stop(): Promise<void> {
    this.logger.info('shutting down', { graceMs: this.config.shutdownGraceMs });
    await this.server.close(this.config.shutdownGraceMs);
    await this.scraper.close();
    await this.demo?.stop();
    await this.tracer?.shutdown();
    this.logger.info('stopped');
  }
}
