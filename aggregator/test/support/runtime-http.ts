import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import {
  type DecodedSample,
  decodeSamples,
  formatOfContentType,
  parseExposition,
} from '../../src/exposition';

/** The Accept header of Prometheus 2.42 (prometheus/scrape/scrape.go, acceptHeader). */
export const PROMETHEUS_2_42_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** A whole response, its body as received (not decompressed). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request over a real socket; the body is read whole, left compressed when it is. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          // A response cut short (a socket closed mid-body) ends without `complete`.
          if (!res.complete) reject(new Error(`${url}: response ended before it was complete`));
          else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** GET /metrics as a Prometheus 2.42 server would ask for it, without compression. */
export function scrapeMetrics(
  baseUrl: string,
  headers: Record<string, string> = {},
  agent?: Agent,
): Promise<HttpAnswer> {
  return httpRequest(`${baseUrl}/metrics`, {
    headers: { accept: PROMETHEUS_2_42_ACCEPT, 'accept-encoding': 'identity', ...headers },
    agent,
  });
}

/** Every sample of an exposition, parsed with the strict parser its Content-Type names. */
export function samplesOf(answer: HttpAnswer): DecodedSample[] {
  const format = formatOfContentType(answer.headers['content-type']);
  return decodeSamples(parseExposition(answer.body, format, { reservedLabels: [] }));
}

/** The value of the one sample named `name` carrying at least `labels`; undefined when there is none. */
export function sampleValue(
  samples: readonly DecodedSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels.some((l) => l.name === k && l.value === v)),
  );
  if (found.length > 1) throw new Error(`${found.length} samples ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** The value of one of the aggregator's own metrics (origin `metrics-aggregator`). */
export function selfValue(
  samples: readonly DecodedSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return sampleValue(samples, name, { origin_container: 'metrics-aggregator', ...labels });
}

/** Origins (`origin_container` values) that have at least one sample. */
export function originsOf(samples: readonly DecodedSample[]): Set<string> {
  const origins = new Set<string>();
  for (const s of samples) {
    const origin = s.labels.find((l) => l.name === 'origin_container');
    if (origin) origins.add(origin.value);
  }
  return origins;
}
