// Whole-process benchmark: the real bundled bin against a plain concatenating proxy (proxy.ts), both as
// child processes scraping the same 4 upstreams, asked by the same client as Prometheus asks. The
// upstreams answer each request with the next of a few rounds of values, as live applications do. A pod
// case (4 x 1,250 series) and a heavy one (4 x 25,000). Figures: median and p90 latency and their
// ratio, CPU per scrape, idle and peak RSS. Targets: pod <= 1.5x the proxy, heavy <= 2x, idle RSS
// <= 64 MiB.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { parseExposition } from '../src/exposition';
import { imageEntrypoint, imageEnvironment } from '../test/support/entrypoint';
import { sampleLines, upstreamBody } from './workload';

const AGGREGATOR_DIR = resolve(__dirname, '..');
const BUNDLE = join(AGGREGATOR_DIR, 'dist', 'metrics-aggregator.js');
/** Prometheus 2.42's Accept header (prometheus/scrape/scrape.go, acceptHeader). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const UPSTREAMS = ['api', 'worker', 'billing', 'search'];
const MiB = 1024 * 1024;
/** Time for an idle process to settle (GC, lazy compilation) before its RSS is read. */
const SETTLE_MS = 2000;
/**
 * Rest before the steady-state reading: a sidecar's time between two scrapes at a 15 s interval,
 * long enough for V8's memory reducer, which runs a few seconds after allocation stops.
 */
const REST_MS = 10_000;
/**
 * Scrapes before measuring. A sidecar answers thousands of scrapes in its life; the figures are its
 * steady state, once V8 has optimized the hot paths (the first few dozen answers are slower).
 */
const WARM_UP = 50;

interface Case {
  readonly name: string;
  readonly seriesPerUpstream: number;
  readonly scrapes: number;
  /** Largest acceptable median latency, as a multiple of the proxy's. */
  readonly target: number;
  /** Whether the idle memory target applies: a pod's resting size, not that of a 100k-series one. */
  readonly idleTarget: boolean;
}

const CASES: readonly Case[] = [
  { name: 'pod', seriesPerUpstream: 1_250, scrapes: 200, target: 1.5, idleTarget: true },
  { name: 'heavy', seriesPerUpstream: 25_000, scrapes: 30, target: 2, idleTarget: false },
];
const ENCODINGS = ['identity', 'gzip'] as const;
const IDLE_RSS_TARGET = 64 * MiB;

/** A child process serving HTTP on 127.0.0.1, as its "listening" log line tells. */
interface Served {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
}

interface Figures {
  readonly latencies: number[];
  readonly cpuMs: number;
  readonly bytes: number;
}

interface Row {
  readonly testCase: Case;
  readonly encoding: (typeof ENCODINGS)[number];
  readonly series: number;
  readonly aggregator: Figures;
  readonly proxy: Figures;
}

interface Memory {
  /** Resident memory at rest after the first scrape, and after the whole case (the steady state). */
  readonly aggregatorFirst: number;
  readonly aggregatorIdle: number;
  readonly aggregatorPeak: number;
  readonly proxyFirst: number;
  readonly proxyIdle: number;
  readonly proxyPeak: number;
}

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process so far, in ms (/proc/<pid>/stat fields 14 and 15). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident and peak resident memory, in bytes (/proc/<pid>/status). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Successive bodies each upstream answers in turn (see `upstreamBody`'s rounds). */
const ROUNDS = 4;

async function startUpstreams(rounds: readonly (readonly Buffer[])[]): Promise<Server[]> {
  return Promise.all(
    rounds.map(async (bodies) => {
      let served = 0;
      const server = createServer((_req, res) => {
        const body = bodies[served++ % bodies.length];
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': String(body.length),
        });
        res.end(body);
      });
      server.keepAliveTimeout = 65_000;
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
}

async function startServed(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeFlags: readonly string[] = [],
): Promise<Served> {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let pending = '';
  const address = await new Promise<string>((resolveAddress, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!line.startsWith('{"')) continue;
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'listening') resolveAddress(String(entry.address));
      }
    });
  });
  if (child.pid === undefined) throw new Error(`${script} has no pid`);
  return { child, pid: child.pid, url: `http://${address}/metrics` };
}

async function stopServed({ child }: Served): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** One scrape: the time from sending the request to the last byte of the answer. */
function scrape(
  url: string,
  agent: Agent,
  encoding: string,
): Promise<{ ms: number; body: Buffer; gzip: boolean }> {
  return new Promise((resolveScrape, reject) => {
    const started = performance.now();
    const req = request(
      url,
      { agent, headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': encoding } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - started;
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
          else
            resolveScrape({
              ms,
              body: Buffer.concat(chunks),
              gzip: res.headers['content-encoding'] === 'gzip',
            });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Fails unless the aggregator answered every upstream sample, in valid OpenMetrics. */
function checkAnswer(body: Buffer, gzip: boolean, series: number): void {
  const exposition = parseExposition(gzip ? gunzipSync(body) : body, 'openmetrics', { reservedLabels: [] });
  if (exposition.samples.length < series) {
    throw new Error(
      `the aggregator answered ${exposition.samples.length} samples, expected at least ${series}`,
    );
  }
}

const median = (values: readonly number[]) => quantile(values, 0.5);

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Scrapes both processes in turn, so that a change of load on the machine touches both alike. */
async function measure(
  served: { aggregator: Served; proxy: Served },
  testCase: Case,
  encoding: (typeof ENCODINGS)[number],
  series: number,
): Promise<Omit<Row, 'testCase' | 'encoding' | 'series'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  try {
    for (let i = 0; i < WARM_UP; i++) {
      const first = await scrape(served.aggregator.url, agent, encoding);
      if (i === 0) checkAnswer(first.body, first.gzip, series);
      await scrape(served.proxy.url, agent, encoding);
    }
    const figures = { aggregator: [] as number[], proxy: [] as number[] };
    const bytes = { aggregator: 0, proxy: 0 };
    const cpuBefore = { aggregator: cpuMsOf(served.aggregator.pid), proxy: cpuMsOf(served.proxy.pid) };
    for (let i = 0; i < testCase.scrapes; i++) {
      for (const who of ['aggregator', 'proxy'] as const) {
        const { ms, body } = await scrape(served[who].url, agent, encoding);
        figures[who].push(ms);
        bytes[who] = body.length;
      }
    }
    const cpu = (who: 'aggregator' | 'proxy') =>
      (cpuMsOf(served[who].pid) - cpuBefore[who]) / testCase.scrapes;
    return {
      aggregator: { latencies: figures.aggregator, cpuMs: cpu('aggregator'), bytes: bytes.aggregator },
      proxy: { latencies: figures.proxy, cpuMs: cpu('proxy'), bytes: bytes.proxy },
    };
  } finally {
    agent.destroy();
  }
}

async function runCase(testCase: Case, proxyScript: string): Promise<{ rows: Row[]; memory: Memory }> {
  const rounds = UPSTREAMS.map((app) =>
    Array.from({ length: ROUNDS }, (_, round) =>
      upstreamBody(app, testCase.seriesPerUpstream, 'text', round),
    ),
  );
  const series = rounds.reduce((n, bodies) => n + sampleLines(bodies[0]), 0);
  const upstreams = await startUpstreams(rounds);
  const urls = upstreams.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`);
  const served: { aggregator?: Served; proxy?: Served } = {};
  try {
    // Exactly as the image runs it: its ENTRYPOINT's node flags, then the bundle, in its environment.
    const entrypoint = imageEntrypoint();
    const nodeFlags = entrypoint.slice(1, -1);
    served.aggregator = await startServed(
      BUNDLE,
      ['--port', '0', '--host', '127.0.0.1'],
      {
        ...imageEnvironment(),
        METRICS_ENDPOINTS: JSON.stringify(Object.fromEntries(UPSTREAMS.map((app, i) => [app, urls[i]]))),
      },
      nodeFlags,
    );
    served.proxy = await startServed(proxyScript, [], { PROXY_UPSTREAMS: JSON.stringify(urls) });
    const both = { aggregator: served.aggregator, proxy: served.proxy };
    const agent = new Agent({ keepAlive: false });
    await scrape(both.aggregator.url, agent, 'identity');
    await scrape(both.proxy.url, agent, 'identity');
    await sleep(SETTLE_MS);
    const first = { aggregator: memoryOf(both.aggregator.pid).rss, proxy: memoryOf(both.proxy.pid).rss };
    const rows: Row[] = [];
    for (const encoding of ENCODINGS) {
      rows.push({ testCase, encoding, series, ...(await measure(both, testCase, encoding, series)) });
    }
    // At rest again, after hundreds of scrapes: what a pod's sidecar holds between scrapes for days.
    await sleep(REST_MS);
    const aggregator = memoryOf(both.aggregator.pid);
    const proxy = memoryOf(both.proxy.pid);
    return {
      rows,
      memory: {
        aggregatorFirst: first.aggregator,
        aggregatorIdle: aggregator.rss,
        aggregatorPeak: aggregator.hwm,
        proxyFirst: first.proxy,
        proxyIdle: proxy.rss,
        proxyPeak: proxy.hwm,
      },
    };
  } finally {
    await Promise.all([served.aggregator, served.proxy].map((s) => (s ? stopServed(s) : undefined)));
    for (const server of upstreams) {
      server.closeAllConnections();
      server.close();
    }
  }
}

/** The proxy as one plain JavaScript file, like the aggregator's bundle: neither pays for a TypeScript loader. */
function bundleProxy(dir: string): string {
  const outfile = join(dir, 'proxy.js');
  buildSync({
    entryPoints: [join(__dirname, 'proxy.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return outfile;
}

/** Warns when the bundle is older than a source file: the benchmark measures the bundle. */
function checkBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build -w aggregator\` first`);
  const built = statSync(BUNDLE).mtimeMs;
  const sources = execFileSync('find', [join(AGGREGATOR_DIR, 'src'), '-name', '*.ts', '-newer', BUNDLE], {
    encoding: 'utf8',
  }).trim();
  if (sources) {
    console.log(
      `warning: the bundle (${new Date(built).toISOString()}) is older than: ${sources.split('\n').join(', ')}`,
    );
  }
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)).padStart(7);
const fmtMiB = (bytes: number) => `${(bytes / MiB).toFixed(1)}`.padStart(6);
const fmtKiB = (bytes: number) => `${Math.round(bytes / 1024)}`.padStart(7);

export async function runProcessBenchmark(): Promise<void> {
  checkBundle();
  const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  try {
    const proxyScript = bundleProxy(dir);
    const results: { rows: Row[]; memory: Memory }[] = [];
    for (const testCase of CASES) results.push(await runCase(testCase, proxyScript));

    console.log(
      `\nProcess: the bundled bin vs a concatenating proxy, ${UPSTREAMS.length} upstreams (classic text), ` +
        `sequential scrapes alternating between them after ${WARM_UP} warm-up, Prometheus's Accept header`,
    );
    console.log(
      'case    series  encoding   agg p50   agg p90  proxy p50 proxy p90   ratio  target   agg CPU/scrape  proxy CPU/scrape   agg KiB  proxy KiB',
    );
    for (const { rows } of results) {
      for (const { testCase, encoding, series, aggregator, proxy } of rows) {
        const ratio = median(aggregator.latencies) / median(proxy.latencies);
        const verdict =
          encoding === 'identity'
            ? `${ratio <= testCase.target ? 'ok ' : 'MISS'} <=${testCase.target}x`
            : '   (info) ';
        console.log(
          `${testCase.name.padEnd(6)} ${String(series).padStart(7)}  ${encoding.padEnd(8)} ${fmtMs(median(aggregator.latencies))}   ${fmtMs(quantile(aggregator.latencies, 0.9))}   ${fmtMs(median(proxy.latencies))}   ${fmtMs(quantile(proxy.latencies, 0.9))}  ${ratio.toFixed(2).padStart(5)}x  ${verdict}  ${fmtMs(aggregator.cpuMs)} ms       ${fmtMs(proxy.cpuMs)} ms      ${fmtKiB(aggregator.bytes)}  ${fmtKiB(proxy.bytes)}`,
        );
      }
    }
    console.log('(latencies in ms; CPU = user+system of the child per scrape; KiB = answer size)');
    console.log(
      '\ncase    agg first  agg idle   agg peak   proxy first  proxy idle  proxy peak   idle target',
    );
    for (const { rows, memory } of results) {
      const idleOk = memory.aggregatorIdle <= IDLE_RSS_TARGET ? 'ok ' : 'MISS';
      const verdict = rows[0].testCase.idleTarget ? `${idleOk} <=${IDLE_RSS_TARGET / MiB} MiB` : '   (info)';
      console.log(
        `${rows[0].testCase.name.padEnd(6)}  ${fmtMiB(memory.aggregatorFirst)}     ${fmtMiB(memory.aggregatorIdle)}     ${fmtMiB(memory.aggregatorPeak)}     ${fmtMiB(memory.proxyFirst)}       ${fmtMiB(memory.proxyIdle)}      ${fmtMiB(memory.proxyPeak)}    ${verdict}`,
      );
    }
    console.log(
      '(resident MiB; first: 2 s after start and one scrape; idle: 10 s after the whole case; peak: VmHWM)',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
