// Faults of the issue against the real bundled bin: upstream refusing, hanging past the timeout,
// slow-dripping bytes, resetting mid-body, 500, gzip bomb, 50 MB body, binary garbage, invalid UTF-8,
// one line of 10 MB (and a corrupt gzip body, too many samples). The aggregator keeps serving the
// others, memory stays bounded, each fault is counted under its reason.
import type { DecodedSample } from '../src/exposition';
import { type FaultServer, startFaultServer } from './support/fault-server';
import { type AggregatorProcess, memoryOf, startProcess } from './support/runtime-aggregator';
import {
  type HttpAnswer,
  httpRequest,
  originsOf,
  samplesOf,
  scrapeMetrics,
  selfValue,
} from './support/runtime-http';
import {
  type FaultUpstream,
  healthy,
  healthyBody,
  startFaultUpstreams,
  upstreamFaults,
} from './support/runtime-upstreams';

const MiB = 1024 * 1024;
const UPSTREAM_TIMEOUT_S = 2;
const ROUNDS = 6;
/** Generous: a Node process with a few 10 MiB buffers in flight; the limits keep it far below. */
const RSS_BOUND = 256 * MiB;
/** Time to answer beyond the upstream timeout: a bound against hanging, not a speed measurement. */
const ANSWER_SLACK_MS = 3000;
/** Allowed RSS drift between the early and the late rounds (GC timing, not a leak). */
const RSS_DRIFT = 48 * MiB;

interface Round {
  readonly answer: HttpAnswer;
  readonly samples: DecodedSample[];
  readonly elapsedMs: number;
  /** Largest RSS seen while the round ran. */
  readonly peakRss: number;
}

let healthyServer: FaultServer;
let faulty: FaultUpstream[];
let aggregator: AggregatorProcess;
const rounds: Round[] = [];
let statusPage: string;
let hwm: number;

beforeAll(async () => {
  healthyServer = await startFaultServer(healthy(healthyBody('web')));
  faulty = await startFaultUpstreams(upstreamFaults());
  const endpoints: Record<string, string> = { web: `${healthyServer.url}/metrics` };
  for (const { fault, url } of faulty) endpoints[fault.name] = url;
  aggregator = await startProcess(endpoints, [
    '--upstream-timeout',
    `${UPSTREAM_TIMEOUT_S}s`,
    '--max-body-bytes',
    '10MiB',
    '--max-line-bytes',
    '1MiB',
    '--max-samples',
    '1000',
  ]);
  for (let i = 0; i < ROUNDS; i++) {
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, memoryOf(aggregator.pid).rss);
    }, 50);
    const started = performance.now();
    const answer = await scrapeMetrics(aggregator.url).finally(() => clearInterval(sampler));
    const elapsedMs = performance.now() - started;
    peakRss = Math.max(peakRss, memoryOf(aggregator.pid).rss);
    rounds.push({ answer, samples: samplesOf(answer), elapsedMs, peakRss });
  }
  statusPage = (await httpRequest(`${aggregator.url}/`)).body.toString('utf8');
  hwm = memoryOf(aggregator.pid).hwm;
}, 120_000);

afterAll(async () => {
  await aggregator?.stop();
  await Promise.all([healthyServer, ...(faulty ?? []).map((f) => f.server)].map((s) => s?.close()));
});

describe('metrics-aggregator under upstream faults (real bin)', () => {
  it('keeps serving the healthy upstream in every round, and nothing of the faulty ones', () => {
    expect(rounds).toHaveLength(ROUNDS);
    for (const { answer, samples } of rounds) {
      expect(answer.status).toBe(200);
      const origins = originsOf(samples);
      expect([...origins].sort()).toEqual(['metrics-aggregator', 'web']);
      expect(samples.filter((s) => s.name === 'web_requests_total')).toHaveLength(2);
    }
  });

  it('answers each round within the upstream timeout, though two upstreams never finish', () => {
    for (const { elapsedMs } of rounds)
      expect(elapsedMs).toBeLessThan(UPSTREAM_TIMEOUT_S * 1000 + ANSWER_SLACK_MS);
  });

  it('logs each faulty upstream down once, not once per round', () => {
    const down = aggregator.logs.filter((l) => l.msg === 'upstream down').map((l) => l.upstream);
    expect(down.sort()).toEqual(faulty.map((f) => f.fault.name).sort());
  });

  it('reports each faulty upstream down and counts every failure under its reason', () => {
    for (const [index, { samples }] of rounds.entries()) {
      expect(selfValue(samples, 'metrics_aggregator_upstream_up', { upstream: 'web' })).toBe(1);
      for (const { fault } of faulty) {
        const upstream = fault.name;
        expect({ upstream, up: selfValue(samples, 'metrics_aggregator_upstream_up', { upstream }) }).toEqual({
          upstream,
          up: 0,
        });
        const errors = samples.filter(
          (s) =>
            s.name === 'metrics_aggregator_upstream_errors_total' &&
            s.labels.some((l) => l.name === 'upstream' && l.value === upstream),
        );
        const counted = Object.fromEntries(
          errors
            .filter((s) => s.value > 0)
            .map((s) => [s.labels.find((l) => l.name === 'reason')?.value, s.value]),
        );
        // One failure per round, every one under the fault's reason.
        expect({ upstream, counted }).toEqual({ upstream, counted: { [fault.reason]: index + 1 } });
      }
    }
  });

  it('shows the error of each faulty upstream on the status page', () => {
    for (const { fault } of faulty) {
      const row = statusPage.split('\n').find((line) => line.includes(`<td>${fault.name}</td>`));
      expect(row).toBeDefined();
      expect(row).toContain('<td>DOWN</td>');
      expect(row).toContain(`${fault.reason}: upstream &#39;${fault.name}&#39;`);
    }
    expect(statusPage).toMatch(/<td>web<\/td>.*<td>up<\/td>/);
  });

  it('keeps its memory bounded and does not grow across faulty rounds', () => {
    const peaks = rounds.map((r) => r.peakRss);
    expect(Math.max(...peaks)).toBeLessThan(RSS_BOUND);
    expect(hwm).toBeLessThan(RSS_BOUND);
    const half = Math.floor(ROUNDS / 2);
    const early = Math.max(...peaks.slice(0, half));
    const late = Math.max(...peaks.slice(half));
    expect(late).toBeLessThan(early + RSS_DRIFT);
  });
});
