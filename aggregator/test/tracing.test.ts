import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VERSION } from '../src/config';
import { Logger } from '../src/observability/logger';
import { createTracer, SCRAPE_SPAN_NAME, tracesUrl, UPSTREAM_SPAN_NAME } from '../src/observability/tracing';
import { entrypointCommand } from './support/entrypoint';
import { closedPort, type FaultServer, startFaultServer } from './support/fault-server';

// The aggregator runs in a child process here: the OTLP exporter loads node:http with a dynamic
// import(), which jest's module sandbox refuses without --experimental-vm-modules.

const MAIN_SOURCE = resolve(__dirname, '../src/main.ts');
const OPENMETRICS_ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';
const UPSTREAM_BODY = '# TYPE queue_depth gauge\nqueue_depth{queue="a"} 3\nqueue_depth{queue="b"} 5\n';

/** OTLP `AnyValue` and `KeyValue` (opentelemetry-proto, common.proto) in their JSON encoding. */
interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: KeyValue[];
  status?: { code?: number; message?: string };
}
interface ExportTraceServiceRequest {
  resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** Span kinds and status codes (opentelemetry-proto, trace.proto). */
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const STATUS_CODE_ERROR = 2;

/** A fake OpenTelemetry Collector: records what is POSTed to it, answers success. */
interface FakeCollector {
  readonly url: string;
  readonly requests: { path: string; contentType: string | undefined; body: ExportTraceServiceRequest }[];
}

const servers: FaultServer[] = [];
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tracing-test-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function startCollector(): Promise<FakeCollector> {
  const requests: FakeCollector['requests'] = [];
  const server = await startFaultServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  servers.push(server);
  return { url: server.url, requests };
}

/** Upstreams `app` (answers two samples) and `gone` (a refused port), as METRICS_ENDPOINTS. */
async function startUpstreams(): Promise<Record<string, string>> {
  const app = await startFaultServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(UPSTREAM_BODY);
  });
  servers.push(app);
  return { app: `${app.url}/metrics`, gone: `http://127.0.0.1:${await closedPort()}/metrics` };
}

function attributesOf(list: KeyValue[] = []): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const { key, value } of list) {
    out[key] =
      value.stringValue ??
      (value.intValue === undefined ? undefined : Number(value.intValue)) ??
      value.doubleValue ??
      value.boolValue;
  }
  return out;
}

function spansOf(collector: FakeCollector): { resource: Record<string, unknown>; span: OtlpSpan }[] {
  return collector.requests.flatMap(({ body }) =>
    body.resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((span) => ({ resource: attributesOf(rs.resource.attributes), span })),
      ),
    ),
  );
}

/** The samples of a text or OpenMetrics body: every line but comments. */
function sampleLines(body: string): number {
  return body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
}

/** Where the child runs from, and a preload that writes on exit which modules it evaluated. */
interface Runtime {
  readonly nodeArgs: string[];
}

/** The TypeScript sources through swc; the probe lists Node's require.cache on exit. */
function sourceRuntime(): Runtime {
  const probe = join(tmp, 'require-cache-probe.js');
  writeFileSync(
    probe,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.EVALUATED_MODULES_FILE, " +
      'JSON.stringify(Object.keys(require.cache))));\n',
  );
  return { nodeArgs: ['-r', require.resolve('@swc-node/register'), '-r', probe, MAIN_SOURCE] };
}

/**
 * The built bundle, with esbuild's module initialisers (`__commonJS` for CommonJS, `__esm` for ES
 * modules) wrapped to record each module they evaluate; the list is written on exit.
 */
function bundleRuntime(): Runtime {
  const { args } = entrypointCommand();
  // The entrypoint's node flags, then the bundle.
  const bundleIndex = args.findIndex((arg) => arg.endsWith('.js'));
  const source = readFileSync(args[bundleIndex], 'utf8');
  // The probe goes just before the first module definition, after esbuild's helpers (minified or not).
  const anchor = source.match(/(^|[;\n])var \w+\s*=\s*__(commonJS|esm)\(/m);
  if (!anchor || anchor.index === undefined)
    throw new Error('esbuild module definitions not found in the bundle');
  const end = anchor.index + anchor[1].length;
  const probe = `;
var __evaluated = new Set();
process.on('exit', () => require('node:fs').writeFileSync(process.env.EVALUATED_MODULES_FILE, JSON.stringify([...__evaluated])));
var __track = (wrap) => (defs, ...rest) => {
  const init = wrap(defs, ...rest);
  const key = Object.keys(defs)[0];
  return function () { __evaluated.add(key); return init.apply(this, arguments); };
};
__commonJS = __track(__commonJS);
__esm = __track(__esm);
`;
  const path = join(tmp, 'metrics-aggregator.instrumented.js');
  writeFileSync(path, source.slice(0, end) + probe + source.slice(end));
  return { nodeArgs: [...args.slice(0, bundleIndex), path] };
}

interface Run {
  readonly status: number;
  readonly body: string;
  readonly logs: Record<string, unknown>[];
  /** The modules the process evaluated, as the runtime's probe names them. */
  readonly modules: string[];
}

/** Starts the aggregator, scrapes /metrics `times` times, stops it with SIGTERM (which flushes the spans). */
async function scrapeOnce(
  runtime: Runtime,
  args: string[],
  env: NodeJS.ProcessEnv,
  { accept, times = 1, pauseMs = 0 }: { accept?: string; times?: number; pauseMs?: number } = {},
): Promise<Run> {
  const evaluatedFile = join(tmp, `evaluated-${process.hrtime.bigint()}.json`);
  const child = spawn(
    process.execPath,
    [...runtime.nodeArgs, '--port', '0', '--host', '127.0.0.1', ...args],
    {
      env: { PATH: process.env.PATH, EVALUATED_MODULES_FILE: evaluatedFile, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  const logs: Record<string, unknown>[] = [];
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(() => reject(new Error('no "listening" line within 20 s')), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
          const entry = JSON.parse(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          logs.push(entry);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(entry.address);
          }
        }
      });
    });
    let res = await fetch(`http://${address}/metrics`, { headers: accept ? { accept } : {} });
    let body = await res.text();
    for (let i = 1; i < times; i++) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      res = await fetch(`http://${address}/metrics`, { headers: accept ? { accept } : {} });
      body = await res.text();
    }
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    return { status: res.status, body, logs, modules: JSON.parse(readFileSync(evaluatedFile, 'utf8')) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** OpenTelemetry modules other than the API (which prom-client loads for its exemplars). */
function sdkModules(modules: string[]): string[] {
  return modules.filter(
    (m) =>
      (m.includes('node_modules/@opentelemetry/') && !m.includes('node_modules/@opentelemetry/api/')) ||
      m.includes('_otel-tracer'),
  );
}

describe('tracing of scrapes', () => {
  it('exports one scrape span with one child span per upstream over OTLP/HTTP JSON, flushed on stop', async () => {
    const collector = await startCollector();
    const endpoints = await startUpstreams();
    const run = await scrapeOnce(
      sourceRuntime(),
      ['--tracing', '--tracing-endpoint', collector.url],
      { METRICS_ENDPOINTS: JSON.stringify(endpoints) },
      { accept: OPENMETRICS_ACCEPT },
    );
    expect(run.status).toBe(200);

    expect(collector.requests.length).toBeGreaterThan(0);
    for (const request of collector.requests) {
      expect(request.path).toBe('/v1/traces');
      expect(request.contentType).toBe('application/json');
    }
    const spans = spansOf(collector);
    expect(spans).toHaveLength(3);
    const scrape = spans.find(({ span }) => span.name === SCRAPE_SPAN_NAME);
    if (!scrape) throw new Error(`no ${SCRAPE_SPAN_NAME} span`);
    expect(scrape.resource).toMatchObject({
      'service.name': 'metrics-aggregator',
      'service.version': VERSION,
    });
    expect(scrape.span.kind).toBe(SPAN_KIND_SERVER);
    expect(scrape.span.parentSpanId ?? '').toBe('');
    expect(attributesOf(scrape.span.attributes)).toEqual({
      'metrics_aggregator.format.negotiated': 'openmetrics',
      'metrics_aggregator.format.answered': 'openmetrics',
      'metrics_aggregator.upstreams.up': 1,
      'metrics_aggregator.upstreams.total': 2,
      'metrics_aggregator.samples': sampleLines(run.body),
      'metrics_aggregator.coalesced': false,
      'http.response.status_code': 200,
    });

    const children = spans.filter(({ span }) => span.name === UPSTREAM_SPAN_NAME).map(({ span }) => span);
    expect(children).toHaveLength(2);
    for (const span of children) {
      expect(span.traceId).toBe(scrape.span.traceId);
      expect(span.parentSpanId).toBe(scrape.span.spanId);
      expect(span.kind).toBe(SPAN_KIND_CLIENT);
    }
    const byName = new Map(
      children.map((span) => [attributesOf(span.attributes)['metrics_aggregator.upstream.name'], span]),
    );
    const up = byName.get('app');
    expect(attributesOf(up?.attributes)).toEqual({
      'metrics_aggregator.upstream.name': 'app',
      'url.full': endpoints.app,
      'metrics_aggregator.upstream.outcome': 'up',
      'metrics_aggregator.upstream.bytes': Buffer.byteLength(UPSTREAM_BODY),
      'metrics_aggregator.upstream.samples': 2,
    });
    expect(up?.status?.code ?? 0).not.toBe(STATUS_CODE_ERROR);
    const down = byName.get('gone');
    expect(attributesOf(down?.attributes)).toEqual({
      'metrics_aggregator.upstream.name': 'gone',
      'url.full': endpoints.gone,
      'metrics_aggregator.upstream.outcome': 'down',
      'error.type': 'refused',
    });
    expect(down?.status?.code).toBe(STATUS_CODE_ERROR);
    expect(down?.status?.message).toContain("upstream 'gone'");
    expect(run.logs.map((l) => l.msg)).not.toContain('trace export failed');
  });

  it('marks the scrape span as an error when every upstream fails', async () => {
    const collector = await startCollector();
    const { gone } = await startUpstreams();
    const run = await scrapeOnce(
      sourceRuntime(),
      ['--tracing', '--tracing-endpoint', `${collector.url}/v1/traces`],
      { METRICS_ENDPOINTS: JSON.stringify({ gone }) },
    );
    expect(run.status).toBe(503);
    const scrape = spansOf(collector).find(({ span }) => span.name === SCRAPE_SPAN_NAME)?.span;
    expect(scrape?.status?.code).toBe(STATUS_CODE_ERROR);
    expect(attributesOf(scrape?.attributes)).toMatchObject({
      'metrics_aggregator.format.negotiated': 'text',
      'metrics_aggregator.upstreams.up': 0,
      'metrics_aggregator.upstreams.total': 1,
      'metrics_aggregator.samples': 0,
      'http.response.status_code': 503,
      'error.type': '503',
    });
  });

  it('logs failed exports once, not once per batch, and still answers the scrapes', async () => {
    const rejecting = await startFaultServer((req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"code":3,"message":"rejected by the test"}');
    });
    servers.push(rejecting);
    const run = await scrapeOnce(
      sourceRuntime(),
      ['--tracing', '--tracing-endpoint', rejecting.url],
      // A short batch delay (standard OTEL_BSP_SCHEDULE_DELAY) makes one export per scrape.
      { METRICS_ENDPOINTS: JSON.stringify(await startUpstreams()), OTEL_BSP_SCHEDULE_DELAY: '10' },
      { times: 3, pauseMs: 200 },
    );
    expect(run.status).toBe(200);
    expect(rejecting.requests.length).toBeGreaterThanOrEqual(3);
    const failures = run.logs.filter((l) => l.msg === 'trace export failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      status: 400,
      response: expect.stringContaining('rejected by the test'),
    });
    expect(run.logs.at(-1)?.msg).toBe('stopped');
  });

  it('gives up the final export after a bounded time when the collector refuses connections', async () => {
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const run = await scrapeOnce(sourceRuntime(), ['--tracing', '--tracing-endpoint', refused], {
      METRICS_ENDPOINTS: JSON.stringify(await startUpstreams()),
    });
    expect(run.status).toBe(200);
    expect(run.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['trace export abandoned at shutdown', 'stopped']),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('loads no OpenTelemetry SDK module when tracing is off', async () => {
    const run = await scrapeOnce(sourceRuntime(), [], {
      METRICS_ENDPOINTS: JSON.stringify(await startUpstreams()),
    });
    expect(run.status).toBe(200);
    expect(run.modules).toEqual(expect.arrayContaining([expect.stringContaining('collect/collector.ts')]));
    expect(sdkModules(run.modules)).toEqual([]);
  });

  it('creates no tracer when tracing is off', () => {
    expect(createTracer({ enabled: false }, VERSION, new Logger('error', () => {}))).toBeUndefined();
  });

  it('appends the OTLP traces path to an endpoint given as an origin only', () => {
    expect(tracesUrl('http://otel-collector:4318')).toBe('http://otel-collector:4318/v1/traces');
    expect(tracesUrl('http://otel-collector:4318/')).toBe('http://otel-collector:4318/v1/traces');
    expect(tracesUrl('https://otlp.example/api/v1/traces')).toBe('https://otlp.example/api/v1/traces');
  });
});

describe('the bundle, tracing off and on', () => {
  it('evaluates no OpenTelemetry SDK module when tracing is off', async () => {
    const run = await scrapeOnce(bundleRuntime(), [], {
      METRICS_ENDPOINTS: JSON.stringify(await startUpstreams()),
    });
    expect(run.status).toBe(200);
    // The probe sees the bundled packages that run (prom-client, undici): its silence below is real.
    expect(run.modules).toEqual(
      expect.arrayContaining([
        expect.stringContaining('node_modules/prom-client/'),
        expect.stringContaining('node_modules/undici/'),
      ]),
    );
    expect(sdkModules(run.modules)).toEqual([]);
  });

  it('evaluates the SDK and exports to OTEL_EXPORTER_OTLP_ENDPOINT when tracing is on', async () => {
    const collector = await startCollector();
    const run = await scrapeOnce(bundleRuntime(), ['--tracing'], {
      METRICS_ENDPOINTS: JSON.stringify(await startUpstreams()),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    });
    expect(run.status).toBe(200);
    expect(sdkModules(run.modules)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('_otel-tracer'),
        expect.stringContaining('node_modules/@opentelemetry/sdk-trace/'),
        expect.stringContaining('node_modules/@opentelemetry/exporter-trace-otlp-http/'),
      ]),
    );
    expect(collector.requests.map((r) => r.path)).toEqual(expect.arrayContaining(['/v1/traces']));
    const names = spansOf(collector).map(({ span }) => span.name);
    expect(names.sort()).toEqual([SCRAPE_SPAN_NAME, UPSTREAM_SPAN_NAME, UPSTREAM_SPAN_NAME]);
  });
});
