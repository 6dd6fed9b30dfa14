import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from '../observability/_prom-client';

/** A stand-in application container: a name and where its /metrics is. */
export interface DemoUpstream {
  readonly name: string;
  readonly url: string;
}

/**
 * Three small "containers" in this process for `--demo`: an API instrumented with prom-client
 * (classic text), a worker that speaks OpenMetrics, and a cache with a hand-written exposition.
 * Their numbers move every second so the merged output changes between scrapes.
 */
export class DemoUpstreams {
  private readonly servers: Server[] = [];
  private readonly timer: NodeJS.Timeout;
  readonly upstreams: DemoUpstream[] = [];

  private constructor(private readonly registries: { api: Registry; worker: Registry }) {
    const api = registries.api;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests handled.',
      labelNames: ['method', 'route', 'code'],
      registers: [api],
    });
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency.',
      labelNames: ['method', 'route'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1],
      registers: [api],
    });
    const worker = registries.worker;
    const jobs = new Counter({
      name: 'jobs_processed',
      help: 'Jobs processed.',
      labelNames: ['queue'],
      registers: [worker],
    });
    const depth = new Gauge({
      name: 'queue_depth',
      help: 'Jobs waiting.',
      labelNames: ['queue'],
      registers: [worker],
    });
    let tick = 0;
    const step = () => {
      tick++;
      for (const route of ['/orders', '/users']) {
        requests.inc({ method: 'GET', route, code: '200' }, 3 + (tick % 4));
        if (tick % 5 === 0) requests.inc({ method: 'POST', route, code: '500' });
        latency.observe({ method: 'GET', route }, ((tick * 37) % 100) / 100);
      }
      jobs.inc({ queue: 'emails' }, 2);
      depth.set({ queue: 'emails' }, (tick * 7) % 13);
    };
    step();
    this.timer = setInterval(step, 1000);
    this.timer.unref();
  }

  static async start(): Promise<DemoUpstreams> {
    const worker = new Registry();
    worker.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as typeof Registry.PROMETHEUS_CONTENT_TYPE);
    const demo = new DemoUpstreams({ api: new Registry(), worker });
    await demo.serve('api', async () => ({
      type: demo.registries.api.contentType,
      body: await demo.registries.api.metrics(),
    }));
    await demo.serve('worker', async () => ({
      type: demo.registries.worker.contentType,
      body: await demo.registries.worker.metrics(),
    }));
    const started = Date.now();
    await demo.serve('cache', async () => ({
      type: 'text/plain; version=0.0.4; charset=utf-8',
      body: [
        '# HELP cache_hits_total Cache hits.',
        '# TYPE cache_hits_total counter',
        `cache_hits_total{cache="sessions"} ${Math.floor((Date.now() - started) / 100)}`,
        '# HELP cache_entries Entries held.',
        '# TYPE cache_entries gauge',
        'cache_entries{cache="sessions"} 1024',
        '',
      ].join('\n'),
    }));
    return demo;
  }

  private async serve(name: string, render: () => Promise<{ type: string; body: string }>): Promise<void> {
    const server = createServer((req, res) => {
      render().then(
        ({ type, body }) => {
          res.writeHead(200, { 'content-type': type });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      void req;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.servers.push(server);
    const { port } = server.address() as AddressInfo;
    this.upstreams.push({ name, url: `http://127.0.0.1:${port}/metrics` });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  }
}
