import { decodeSamples, parseExposition } from '../src/exposition';
import { type AggregatorProcess, startAggregator } from './support/aggregator-process';

// The README's run command starts exactly this: the bundle with --demo.
describe('the demo', () => {
  let aggregator: AggregatorProcess;

  beforeAll(async () => {
    aggregator = await startAggregator(['--demo', '--port', '0', '--host', '127.0.0.1']);
  });

  afterAll(() => aggregator?.stop());

  it('serves the merged metrics of its three stand-in containers and its own, needing no other upstream', async () => {
    const response = await fetch(`${aggregator.url}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0' },
    });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const samples = decodeSamples(parseExposition(body, 'openmetrics'));
    const origins = new Set(samples.map((s) => s.labels.find((l) => l.name === 'origin_container')?.value));
    expect([...origins].sort()).toEqual(['api', 'cache', 'metrics-aggregator', 'worker']);
    expect(samples.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'http_requests_total',
        'jobs_processed_total',
        'cache_hits_total',
        'metrics_aggregator_upstream_up',
      ]),
    );
  });

  it('shows each stand-in container on its status page', async () => {
    const page = await (await fetch(`${aggregator.url}/`)).text();
    for (const name of ['api', 'worker', 'cache']) expect(page).toContain(`<td>${name}</td>`);
  });
});
