// Load of the issue against the real bundled bin: 20 concurrent scrapers for a bounded time against
// 4 upstreams: no errors, RSS stays bounded, upstreams see coalesced load.
import { Agent } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { type DecodedSample, formatOfContentType, parseExposition } from '../src/exposition';
import { type FaultServer, startFaultServer } from './support/fault-server';
import { type AggregatorProcess, memoryOf, startProcess } from './support/runtime-aggregator';
import {
  httpRequest,
  PROMETHEUS_2_42_ACCEPT,
  samplesOf,
  scrapeMetrics,
  selfValue,
} from './support/runtime-http';
import { manySeries, TEXT_CONTENT_TYPE } from './support/runtime-upstreams';

const MiB = 1024 * 1024;
const APPS = ['api', 'worker', 'cache', 'proxy'];
const SERIES_PER_APP = 500;
const SCRAPERS = 20;
const LOAD_MS = 5000;
/** Bounds the loops whatever the speed of the machine. */
const MAX_SCRAPES_PER_SCRAPER = 400;
/** An upstream takes a little time to answer, as an application rendering its metrics does. */
const UPSTREAM_DELAY_MS = 20;
const RSS_BOUND = 256 * MiB;

/** The origins named in a merged body, found by their label. */
function originsIn(body: Buffer): string[] {
  return ['metrics-aggregator', ...APPS]
    .filter((origin) => body.includes(`{origin_container="${origin}"`))
    .sort();
}

interface Outcome {
  readonly status: number;
  readonly gzip: boolean;
  readonly origins: string[];
  readonly samples: number;
}

let upstreams: FaultServer[];
let aggregator: AggregatorProcess;
const outcomes: Outcome[] = [];
const failures: unknown[] = [];
let peakRss = 0;
let hwm = 0;
let after: DecodedSample[];

beforeAll(async () => {
  upstreams = await Promise.all(
    APPS.map((app) => {
      const body = manySeries(app, SERIES_PER_APP);
      return startFaultServer((_req, res) => {
        setTimeout(
          () => res.writeHead(200, { 'content-type': TEXT_CONTENT_TYPE }).end(body),
          UPSTREAM_DELAY_MS,
        );
      });
    }),
  );
  aggregator = await startProcess(
    Object.fromEntries(APPS.map((app, i) => [app, `${upstreams[i].url}/metrics`])),
  );

  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, memoryOf(aggregator.pid).rss);
  }, 100);
  const agent = new Agent({ keepAlive: true, maxSockets: SCRAPERS });
  const end = Date.now() + LOAD_MS;
  // Half ask as Prometheus does (OpenMetrics, gzip), half as a plain client (classic text).
  const scraper = async (index: number): Promise<void> => {
    const prometheus = index % 2 === 0;
    for (let i = 0; i < MAX_SCRAPES_PER_SCRAPER && Date.now() < end; i++) {
      try {
        const answer = prometheus
          ? await scrapeMetrics(aggregator.url, { 'accept-encoding': 'gzip' }, agent)
          : await httpRequest(`${aggregator.url}/metrics`, { agent });
        const gzip = answer.headers['content-encoding'] === 'gzip';
        const body = gzip ? gunzipSync(answer.body) : answer.body;
        // The strict parser of the format answered validates every line; decoding each sample would
        // make the scrapers, not the aggregator, the bottleneck of this test.
        const exposition = parseExposition(body, formatOfContentType(answer.headers['content-type']), {
          reservedLabels: [],
        });
        outcomes.push({
          status: answer.status,
          gzip,
          origins: originsIn(body),
          samples: exposition.samples.length,
        });
      } catch (error) {
        failures.push(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: SCRAPERS }, (_, i) => scraper(i)));
  } finally {
    clearInterval(sampler);
    agent.destroy();
  }
  hwm = memoryOf(aggregator.pid).hwm;
  after = samplesOf(await scrapeMetrics(aggregator.url, { accept: PROMETHEUS_2_42_ACCEPT }));
}, 60_000);

afterAll(async () => {
  await aggregator?.stop();
  await Promise.all((upstreams ?? []).map((s) => s.close()));
});

describe('metrics-aggregator under 20 concurrent scrapers (real bin)', () => {
  it('answers every scrape with 200 and a valid, complete exposition', () => {
    expect(failures).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(SCRAPERS);
    const expected = ['metrics-aggregator', ...APPS].sort();
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(200);
      expect(outcome.origins).toEqual(expected);
      expect(outcome.samples).toBeGreaterThan(APPS.length * SERIES_PER_APP);
    }
    // Both kinds of client were served, each in its own format.
    expect(outcomes.some((o) => o.gzip)).toBe(true);
    expect(outcomes.some((o) => !o.gzip)).toBe(true);
  });

  it('keeps its memory bounded', () => {
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(RSS_BOUND);
    expect(hwm).toBeLessThan(RSS_BOUND);
  });

  it('coalesces the scrapes: each upstream sees far fewer requests than the aggregator answers', () => {
    const scrapes = outcomes.length;
    for (const upstream of upstreams) {
      const requests = upstream.requests.length;
      expect(requests).toBeGreaterThan(0);
      expect(requests).toBeLessThanOrEqual(scrapes / 2);
    }
    // Every scrape started a round or joined one; the last one, alone, started its own.
    const rounds = upstreams[0].requests.length;
    const coalesced = selfValue(after, 'metrics_aggregator_coalesced_scrapes_total');
    expect(coalesced).toBeGreaterThan(0);
    expect(coalesced).toBe(scrapes - (rounds - 1));
    for (const app of APPS) {
      expect(selfValue(after, 'metrics_aggregator_upstream_up', { upstream: app })).toBe(1);
    }
  });
});
