// The aggregator over HTTP: negotiation, compression, Prometheus's scrape timeout, the small
// endpoints, partial and total failure, its own metrics, and shutdown (in-process, and the real bin
// for SIGTERM).
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  CONTENT_TYPE_OPENMETRICS,
  CONTENT_TYPE_TEXT,
  decodeSamples,
  parseExposition,
} from '../src/exposition';
import { SelfMetrics } from '../src/observability/self-metrics';
import { closedPort, type FaultServer, startFaultServer } from './support/fault-server';
import { type InProcessAggregator, startInProcess, startProcess } from './support/runtime-aggregator';
import {
  httpRequest,
  originsOf,
  PROMETHEUS_2_42_ACCEPT,
  samplesOf,
  sampleValue,
  scrapeMetrics,
  selfValue,
} from './support/runtime-http';
import { healthy, healthyBody, manySeries, TEXT_CONTENT_TYPE } from './support/runtime-upstreams';

/** Time to answer beyond a deadline: a bound against hanging, not a speed measurement. */
const SLACK_MS = 2000;
/** An upstream name that HTML would misread. */
const ODD_NAME = `<b>"worker" & 'co'</b>`;

const servers: FaultServer[] = [];
const aggregators: InProcessAggregator[] = [];

async function serve(handler: Parameters<typeof startFaultServer>[0]): Promise<FaultServer> {
  const server = await startFaultServer(handler);
  servers.push(server);
  return server;
}

async function aggregate(
  endpoints: Record<string, string>,
  args: string[] = [],
): Promise<InProcessAggregator> {
  const aggregator = await startInProcess(endpoints, args);
  aggregators.push(aggregator);
  return aggregator;
}

/** The aggregator's own metric families, as self-metrics.ts declares them (prom-client's defaults aside). */
async function declaredSelfMetrics(): Promise<{ name: string; type: string }[]> {
  const metrics = await new SelfMetrics(['web'], '0.0.0').registry.getMetricsAsJSON();
  return metrics
    .filter((m) => m.name.startsWith('metrics_aggregator_'))
    .map((m) => ({ name: m.name, type: String(m.type) }));
}

afterAll(async () => {
  await Promise.all(aggregators.map((a) => a.stop()));
  await Promise.all(servers.map((s) => s.close()));
});

describe('metrics-aggregator over HTTP', () => {
  let web: FaultServer;
  let agg: InProcessAggregator;

  beforeAll(async () => {
    web = await serve(healthy(healthyBody('web')));
    agg = await aggregate({
      web: `${web.url}/metrics`,
      [ODD_NAME]: `http://127.0.0.1:${await closedPort()}/metrics`,
    });
  });

  it("answers OpenMetrics ending with # EOF to Prometheus 2.42's Accept header", async () => {
    const answer = await scrapeMetrics(agg.url);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(answer.body.toString('utf8').endsWith('# EOF\n')).toBe(true);
    // The strict OpenMetrics parser accepts it.
    expect(sampleValue(samplesOf(answer), 'web_in_flight', { origin_container: 'web' })).toBe(1);
  });

  it('answers classic text when the client sends no Accept header', async () => {
    const answer = await httpRequest(`${agg.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.body.toString('utf8')).not.toContain('# EOF');
    expect(sampleValue(samplesOf(answer), 'web_requests_total', { method: 'GET' })).toBe(7);
  });

  it('compresses with gzip when the client accepts it, and only then', async () => {
    const gzipped = await scrapeMetrics(agg.url, { 'accept-encoding': 'gzip' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toContain('Accept-Encoding');
    const inflated = { ...gzipped, body: gunzipSync(gzipped.body) };
    expect(inflated.body.toString('utf8').endsWith('# EOF\n')).toBe(true);
    expect(sampleValue(samplesOf(inflated), 'web_in_flight')).toBe(1);

    const plain = await scrapeMetrics(agg.url, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(sampleValue(samplesOf(plain), 'web_in_flight')).toBe(1);
    const none = await httpRequest(`${agg.url}/metrics`);
    expect(none.headers['content-encoding']).toBeUndefined();
  });

  it('answers HEAD /metrics with the headers of a GET and no body', async () => {
    const answer = await httpRequest(`${agg.url}/metrics`, {
      method: 'HEAD',
      headers: { accept: PROMETHEUS_2_42_ACCEPT },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(CONTENT_TYPE_OPENMETRICS);
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
    expect(answer.body).toHaveLength(0);
  });

  it('answers 200 with the healthy upstream when another one fails', async () => {
    const answer = await scrapeMetrics(agg.url);
    expect(answer.status).toBe(200);
    const samples = samplesOf(answer);
    expect([...originsOf(samples)].sort()).toEqual(['metrics-aggregator', 'web']);
    expect(selfValue(samples, 'metrics_aggregator_upstream_up', { upstream: 'web' })).toBe(1);
    expect(selfValue(samples, 'metrics_aggregator_upstream_up', { upstream: ODD_NAME })).toBe(0);
    expect(
      selfValue(samples, 'metrics_aggregator_upstream_errors_total', {
        upstream: ODD_NAME,
        reason: 'refused',
      }),
    ).toBeGreaterThan(0);
  });

  it('serves its own metrics under origin_container="metrics-aggregator", named as self-metrics.ts declares them', async () => {
    const declared = await declaredSelfMetrics();
    expect(declared.length).toBeGreaterThanOrEqual(14);
    await scrapeMetrics(agg.url); // metrics_aggregator_scrapes_total has a sample once a scrape was answered.
    const answer = await httpRequest(`${agg.url}/metrics`);
    const text = answer.body.toString('utf8');
    const self = samplesOf(answer).filter((s) =>
      s.labels.some((l) => l.name === 'origin_container' && l.value === 'metrics-aggregator'),
    );
    for (const { name, type } of declared) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      const names = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const sampleName of names) {
        expect({ sampleName, present: self.some((s) => s.name === sampleName) }).toEqual({
          sampleName,
          present: true,
        });
      }
    }
    expect(self.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
    expect(selfValue(self, 'metrics_aggregator_build_info')).toBe(1);
  });

  it('declares each of its own metrics with its own type in OpenMetrics too', async () => {
    await scrapeMetrics(agg.url);
    const answer = await scrapeMetrics(agg.url);
    const exposition = parseExposition(answer.body, 'openmetrics', { reservedLabels: [] });
    const typeOf = new Map(exposition.families.map((f) => [f.name, f.type]));
    const familyOf = new Map(decodeSamples(exposition).map((s) => [s.name, s.family]));
    const mistyped = (await declaredSelfMetrics())
      .map(({ name, type }) => {
        const family = familyOf.get(type === 'histogram' ? `${name}_count` : name) ?? '';
        return { name, declared: type, written: typeOf.get(family) };
      })
      .filter((m) => m.written !== m.declared);
    expect(mistyped).toEqual([]);
  });

  it('answers /healthz and /readyz with 200 while running', async () => {
    const health = await httpRequest(`${agg.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await httpRequest(`${agg.url}/readyz`)).status).toBe(200);
    expect((await httpRequest(`${agg.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('lists each upstream on the status page with its state, error and sample count, HTML-escaped', async () => {
    await scrapeMetrics(agg.url);
    const page = await httpRequest(`${agg.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = page.body.toString('utf8');
    const rows = html.split('\n').filter((line) => line.startsWith('<tr class='));
    expect(rows).toHaveLength(2);
    // web: up, 3 samples, no error.
    expect(rows[0]).toMatch(
      /^<tr class=""><td>web<\/td><td>[^<]+<\/td><td>up<\/td>.*<td>3<\/td><td><\/td><\/tr>$/,
    );
    const escaped = '&lt;b&gt;&quot;worker&quot; &amp; &#39;co&#39;&lt;/b&gt;';
    expect(rows[1]).toContain(`<td>${escaped}</td>`);
    expect(rows[1]).toContain('<td>DOWN</td>');
    expect(rows[1]).toContain(`<td>refused: upstream &#39;${escaped}&#39;: connection to http://127.0.0.1:`);
    expect(html).not.toContain(ODD_NAME);
  });

  it('rejects an unknown path with 404', async () => {
    const answer = await httpRequest(`${agg.url}/metricz`);
    expect(answer.status).toBe(404);
  });

  it('rejects POST with 405 and says which methods are allowed', async () => {
    const answer = await httpRequest(`${agg.url}/metrics`, { method: 'POST' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });
});

describe('metrics-aggregator --force-text', () => {
  it('answers classic text even when OpenMetrics is asked for', async () => {
    const web = await serve(healthy(healthyBody('web')));
    const agg = await aggregate({ web: `${web.url}/metrics` }, ['--force-text']);
    const answer = await scrapeMetrics(agg.url);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(CONTENT_TYPE_TEXT);
    expect(sampleValue(samplesOf(answer), 'web_in_flight')).toBe(1);
  });
});

describe("metrics-aggregator within Prometheus's scrape timeout", () => {
  it('answers before X-Prometheus-Scrape-Timeout-Seconds, counting the hanging upstream as a timeout', async () => {
    const web = await serve(healthy(healthyBody('web')));
    const hanging = await serve(() => {});
    // The upstreams' own timeout (10 s) is far beyond the scrape's.
    const agg = await aggregate({ web: `${web.url}/metrics`, hanging: `${hanging.url}/metrics` });
    const started = performance.now();
    const answer = await scrapeMetrics(agg.url, { 'x-prometheus-scrape-timeout-seconds': '1' });
    expect(performance.now() - started).toBeLessThan(1000 + SLACK_MS);
    expect(answer.status).toBe(200);
    const samples = samplesOf(answer);
    expect(sampleValue(samples, 'web_in_flight')).toBe(1);
    expect(selfValue(samples, 'metrics_aggregator_upstream_up', { upstream: 'hanging' })).toBe(0);
    expect(
      selfValue(samples, 'metrics_aggregator_upstream_errors_total', {
        upstream: 'hanging',
        reason: 'timeout',
      }),
    ).toBe(1);
    // The budget told is the scrape's timeout less the default 500 ms margin.
    expect(
      selfValue(samples, 'metrics_aggregator_upstream_scrape_timeout_seconds', { upstream: 'hanging' }),
    ).toBeLessThanOrEqual(0.5);
  });
});

describe('metrics-aggregator when every upstream fails', () => {
  it('fails the scrape with 503 and says why', async () => {
    const failing = await serve((_req, res) => {
      res.writeHead(500);
      res.end();
    });
    const agg = await aggregate({
      refusing: `http://127.0.0.1:${await closedPort()}/metrics`,
      failing: `${failing.url}/metrics`,
    });
    const answer = await scrapeMetrics(agg.url);
    expect(answer.status).toBe(503);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    const text = answer.body.toString('utf8');
    expect(text).toMatch(/^every upstream failed:\n/);
    expect(text).toContain("refusing: upstream 'refusing': connection to http://127.0.0.1:");
    expect(text).toContain("failing: upstream 'failing': http://127.0.0.1:");
    expect(text).toContain('returned HTTP 500 Internal Server Error');
  });
});

describe('metrics-aggregator shutdown', () => {
  it('answers /readyz 503 once shutting down, on a connection still open for a scrape in flight', async () => {
    let scraped!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      scraped = resolve;
    });
    const slow = await serve((_req, res) => {
      scraped();
      setTimeout(
        () => res.writeHead(200, { 'content-type': TEXT_CONTENT_TYPE }).end(healthyBody('slow')),
        500,
      );
    });
    const agg = await aggregate({ slow: `${slow.url}/metrics` }, ['--no-self-metrics']);
    // Raw HTTP/1.1 pipelining: a stopping server accepts no connection, so only one already busy can ask.
    const socket = connect(Number(new URL(agg.url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /readyz HTTP/1.1\r\nHost: a\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n');
    await inFlight;
    const stopped = agg.stop();
    socket.write('GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n');
    await stopped;
    await closed;
    const statuses = received.match(/^HTTP\/1\.1 \d{3}/gm);
    expect(statuses).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 503']);
    expect(received).toContain('slow_in_flight{origin_container="slow"} 1\n');
    expect(received).toContain('shutting down\n');
    // Stopped: the port no longer accepts connections.
    await expect(httpRequest(`${agg.url}/readyz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('exits 0 on SIGTERM within the grace period, after the scrape in flight got its whole answer (real bin)', async () => {
    // Megabytes, more than a socket buffer holds: an answer cut short at shutdown would show.
    const series = 60_000;
    const body = manySeries('slow', series);
    let scraped!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      scraped = resolve;
    });
    const slow = await serve((_req, res) => {
      scraped();
      setTimeout(() => res.writeHead(200, { 'content-type': TEXT_CONTENT_TYPE }).end(body), 1000);
    });
    const graceMs = 5000;
    const agg = await startProcess({ slow: `${slow.url}/metrics` }, ['--shutdown-grace', `${graceMs}ms`]);
    try {
      const scrape = scrapeMetrics(agg.url);
      await inFlight;
      const terminated = performance.now();
      agg.child.kill('SIGTERM');
      const answer = await scrape;
      expect(await agg.exited).toBe(0);
      expect(performance.now() - terminated).toBeLessThan(graceMs + SLACK_MS);

      expect(answer.status).toBe(200);
      expect(answer.body).toHaveLength(Number(answer.headers['content-length']));
      const samples = decodeSamples(parseExposition(answer.body, 'openmetrics', { reservedLabels: [] }));
      expect(samples.filter((s) => s.name === 'slow_requests_total')).toHaveLength(series);
      expect(agg.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
      expect(agg.stderr()).toBe('');
    } finally {
      await agg.stop();
    }
  });
});
