// Synthetic but realistic upstream bodies for benchmarks: a service's HTTP histograms, counters and
// gauges with three labels each, in either format.
import type { ExpositionFormat } from '../src/exposition';

const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

/** Series (sample lines) one histogram label set contributes: 12 buckets, _sum, _count. */
const HISTOGRAM_SERIES = BUCKETS.length + 2;

/**
 * One upstream body with about `series` sample lines: 84% histogram series, the rest counters and
 * gauges, each series with the labels method, route and status. Successive `round`s are the same
 * series with grown counters and moved gauges, as an application answers successive scrapes: the
 * values change, and their lengths with them, so no two rounds have the same bytes.
 */
export function upstreamBody(app: string, series: number, format: ExpositionFormat, round = 0): Buffer {
  const openMetrics = format === 'openmetrics';
  const histograms = Math.floor((series * 0.84) / HISTOGRAM_SERIES);
  const simple = Math.floor((series - histograms * HISTOGRAM_SERIES) / 2);
  const labels = (i: number) =>
    `method="${METHODS[i % METHODS.length]}",route="/api/v1/${app}/resource_${Math.floor(i / 4)}",status="${200 + (i % 3) * 100}"`;
  const out: string[] = [];
  const base = openMetrics ? `${app}_http_requests` : `${app}_http_requests_total`;
  out.push(`# HELP ${base} Requests handled.`, `# TYPE ${base} counter`);
  for (let i = 0; i < simple; i++)
    out.push(`${app}_http_requests_total{${labels(i)}} ${i * 7 + 3 + round * (i % 11)}`);
  out.push(`# HELP ${app}_inflight_requests Requests in flight.`, `# TYPE ${app}_inflight_requests gauge`);
  for (let i = 0; i < simple; i++)
    out.push(`${app}_inflight_requests{${labels(i)}} ${((i + round) % 17) * 0.5}`);
  const h = `${app}_http_request_duration_seconds`;
  out.push(`# HELP ${h} Request latency.`, `# TYPE ${h} histogram`);
  for (let i = 0; i < histograms; i++) {
    let cumulative = 0;
    for (const le of BUCKETS) {
      cumulative += (i % 5) * (round + 1);
      out.push(`${h}_bucket{${labels(i)},le="${le}"} ${cumulative}`);
    }
    out.push(
      `${h}_sum{${labels(i)}} ${(cumulative * 0.137).toFixed(3)}`,
      `${h}_count{${labels(i)}} ${cumulative}`,
    );
  }
  if (openMetrics) out.push('# EOF');
  return Buffer.from(`${out.join('\n')}\n`);
}

/** Number of sample lines in a body (lines that are not comments). */
export function sampleLines(body: Buffer): number {
  let n = 0;
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(10, start);
    if (end < 0) end = body.length;
    if (end > start && body[start] !== 0x23) n++;
    start = end + 1;
  }
  return n;
}
