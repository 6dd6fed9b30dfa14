// Application containers instrumented with prom-client, as a pod would run them: each its own
// Registry on its own node:http server on 127.0.0.1.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Counter,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  type PrometheusContentType,
  Registry,
  Summary,
} from 'prom-client';

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** Label values that escaping gets wrong: quotes, backslashes, a newline, accents, CJK, an emoji. */
export const ODD_LABEL_VALUES: readonly string[] = [
  'say "hi"',
  'C:\\Program Files\\app\\',
  'line one\nline two',
  'ünïcödé 日本語 😀',
  '\\"\\n',
];

/** A prom-client application serving its registry on /metrics. */
export interface AppUpstream {
  readonly name: string;
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  /** `127.0.0.1:<port>`, as a Prometheus static target. */
  readonly target: string;
  /** Stops changing the metrics, so that every scrape from now on reads the same values. */
  freeze(): void;
  /** Closes the server and every open connection: the next scrape is refused. */
  stop(): Promise<void>;
}

export interface AppUpstreamOptions {
  /** Serve OpenMetrics (`registry.setContentType`) rather than the classic text format. */
  readonly openMetrics: boolean;
  /** How often the application changes its metrics until frozen. */
  readonly mutateEveryMs?: number;
}

/** Starts an instrumented application on a free port of 127.0.0.1. */
export async function startAppUpstream(name: string, options: AppUpstreamOptions): Promise<AppUpstream> {
  let registry: AnyRegistry;
  if (options.openMetrics) {
    const openMetrics = new Registry<OpenMetricsContentType>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registry = openMetrics;
  } else {
    registry = new Registry();
  }
  const mutate = instrument(registry, options.openMetrics);
  mutate();
  const timer = setInterval(mutate, options.mutateEveryMs ?? 50);
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    name,
    url: `http://127.0.0.1:${port}/metrics`,
    target: `127.0.0.1:${port}`,
    freeze: () => clearInterval(timer),
    stop: () => {
      clearInterval(timer);
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/**
 * Registers what a typical service exposes and returns a function that moves the values. Both
 * applications declare `http_requests_total` with the same type, as two containers built on the
 * same framework would, so the merge has to put two origins into one family.
 */
function instrument(registry: AnyRegistry, openMetrics: boolean): () => void {
  const registers = [registry];
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method and status code.',
    labelNames: ['method', 'code'],
    registers,
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request.',
    labelNames: ['method'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 10],
    registers,
  });
  const payload = new Summary({
    name: 'payload_size_bytes',
    help: 'Size of request bodies.',
    labelNames: ['route'],
    percentiles: [0, 0.5, 0.9, 0.99, 1],
    registers,
  });
  const odd = new Gauge({
    name: 'odd_label_value_info',
    help: 'One series per label value that needs escaping.',
    labelNames: ['value', 'index'],
    registers,
  });
  ODD_LABEL_VALUES.forEach((value, index) => {
    odd.set({ value, index: String(index) }, index);
  });
  // Numbers whose text form has to survive exactly: NaN, infinities, the float64 extremes.
  const edges = new Gauge({
    name: 'edge_values',
    help: 'Values at the edges of float64.',
    labelNames: ['case'],
    registers,
  });
  edges.set({ case: 'nan' }, Number.NaN);
  edges.set({ case: 'plus_inf' }, Number.POSITIVE_INFINITY);
  edges.set({ case: 'minus_inf' }, Number.NEGATIVE_INFINITY);
  edges.set({ case: 'sum_of_tenths' }, 0.1 + 0.2);
  edges.set({ case: 'max' }, Number.MAX_VALUE);
  edges.set({ case: 'min_subnormal' }, Number.MIN_VALUE);
  edges.set({ case: 'tiny' }, 1e-300);
  edges.set({ case: 'above_2_53' }, 2 ** 53 + 2);
  edges.set({ case: 'negative' }, -1234.5678);
  // An application that sets the aggregator's origin label itself: the aggregator must keep its
  // value as `exported_origin_container`, as Prometheus does for target labels.
  const build = new Gauge({
    name: 'app_build_info',
    help: 'Always 1; labels tell the build.',
    labelNames: ['version', 'origin_container'],
    registers,
  });
  build.set({ version: '1.2.3', origin_container: 'set-by-the-app' }, 1);
  // A classic-text counter without the `_total` suffix: OpenMetrics cannot call it a counter.
  const legacy = openMetrics
    ? undefined
    : new Counter({ name: 'legacy_events', help: 'A counter named before _total.', registers });
  const queue = new Gauge({ name: 'queue_depth', help: 'Jobs waiting.', labelNames: ['queue'], registers });

  let tick = 0;
  return () => {
    tick++;
    for (const method of ['GET', 'POST']) {
      requests.inc({ method, code: tick % 7 === 0 ? '500' : '200' }, 1 + (tick % 3));
      duration.observe({ method }, ((tick * 37) % 1000) / 400);
    }
    payload.observe({ route: '/upload' }, (tick * 131) % 4096);
    payload.observe({ route: '/api/v1/items' }, (tick * 17) % 512);
    legacy?.inc(0.5);
    queue.set({ queue: 'default' }, tick % 11);
    queue.set({ queue: 'émail "urgent"' }, (tick * 0.1) % 3);
  };
}
