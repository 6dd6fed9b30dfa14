// A real Prometheus and a real node_exporter, each started on a free port of 127.0.0.1 with its
// data in a temporary directory, and a small client for the Prometheus HTTP API.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

const INSTALL_HINT = 'apt-get install prometheus prometheus-node-exporter';
/** The most output kept per stream for error messages. */
const OUTPUT_LIMIT = 64 * 1024;

/** `path`, or an error that tells how to install it: a missing binary fails the tests, never skips them. */
export function requireBinary(path: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: the end-to-end tests need a real Prometheus; run \`${INSTALL_HINT}\``,
    );
  }
  return path;
}

/** One sample of an instant vector: its labels (with `__name__`) and its value as Prometheus prints it. */
export interface PromSample {
  readonly labels: Readonly<Record<string, string>>;
  /** `"1"`, `"0.30000000000000004"`, `"NaN"`, `"+Inf"`… */
  readonly value: string;
}

/** The stored samples of one series. */
export interface PromSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Oldest first; `time` in seconds since the epoch. */
  readonly points: readonly { readonly time: number; readonly value: string }[];
}

/** A static scrape job: one target, `/metrics`. */
export interface ScrapeJob {
  readonly name: string;
  /** `host:port`. */
  readonly target: string;
}

export interface PrometheusOptions {
  readonly jobs: readonly ScrapeJob[];
  /** @default '1s' */
  readonly scrapeInterval?: string;
  /** Rule files (absolute paths) Prometheus loads, evaluated at the scrape interval. */
  readonly ruleFiles?: readonly string[];
}

/** A spawned daemon that keeps the tail of its output for error messages. */
class Daemon {
  private out = '';
  private ended: string | undefined;
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: string) => {
      this.out += chunk;
      if (this.out.length > OUTPUT_LIMIT) this.out = this.out.slice(this.out.length - OUTPUT_LIMIT);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.ended ??= `exited (${signal ?? `code ${code}`})`;
        resolve();
      });
      // A spawn failure (EACCES…) comes as 'error', without 'exit'.
      child.once('error', (error) => {
        this.ended ??= `failed to start (${error.message})`;
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  output(): string {
    return this.out;
  }

  describe(): string {
    return `${this.label} ${this.ended ?? 'running'}; its output:\n${this.out}`;
  }

  /** SIGTERM, then SIGKILL when it lingers past `timeoutMs`. */
  stop(timeoutMs = 5_000): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.running) return;
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      });
      const outcome = await Promise.race([this.exited, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    })();
    return this.stopping;
  }
}

/** A real prometheus-node-exporter. */
export interface NodeExporter {
  /** `127.0.0.1:<port>`. */
  readonly target: string;
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts node_exporter with a few collectors only: fast, and with a set of series that does not
 * change from one scrape to the next.
 */
export async function startNodeExporter(): Promise<NodeExporter> {
  const bin = requireBinary(NODE_EXPORTER_BIN);
  const daemon = await startOnFreePort(
    'node_exporter',
    (port) =>
      spawn(
        bin,
        [
          '--collector.disable-defaults',
          '--collector.cpu',
          '--collector.meminfo',
          '--collector.loadavg',
          '--collector.filesystem',
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    (port) => `http://127.0.0.1:${port}/metrics`,
  );
  return {
    target: `127.0.0.1:${daemon.port}`,
    url: `http://127.0.0.1:${daemon.port}/metrics`,
    output: () => daemon.daemon.output(),
    stop: () => daemon.daemon.stop(),
  };
}

/** A real Prometheus server and a client for its HTTP API. */
export class Prometheus {
  private constructor(
    /** `http://127.0.0.1:<port>`. */
    readonly url: string,
    private readonly daemon: Daemon,
    private readonly dir: string,
    private readonly agent: Agent,
  ) {}

  /** Writes the configuration in a temporary directory and starts Prometheus; resolves once it is ready. */
  static async start(options: PrometheusOptions): Promise<Prometheus> {
    const bin = requireBinary(PROMETHEUS_BIN);
    const dir = await mkdtemp(join(tmpdir(), 'metrics-aggregator-prometheus-'));
    try {
      const configFile = join(dir, 'prometheus.yml');
      await writeFile(configFile, prometheusConfig(options));
      const { port, daemon } = await startOnFreePort(
        'prometheus',
        (port) =>
          spawn(
            bin,
            [
              `--config.file=${configFile}`,
              `--storage.tsdb.path=${join(dir, 'data')}`,
              `--web.listen-address=127.0.0.1:${port}`,
              '--log.level=warn',
            ],
            { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
          ),
        (port) => `http://127.0.0.1:${port}/-/ready`,
      );
      return new Prometheus(`http://127.0.0.1:${port}`, daemon, dir, new Agent({ connections: 4 }));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The instant vector of `expr` at `time` (seconds since the epoch; default now). */
  async query(expr: string, time?: number): Promise<PromSample[]> {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', time.toFixed(3));
    const data = await this.api<{
      resultType: string;
      result: { metric: Record<string, string>; value: [number, string] }[];
    }>(`/api/v1/query?${params}`);
    if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
    return data.result.map(({ metric, value }) => ({ labels: metric, value: value[1] }));
  }

  /**
   * The raw samples stored for `selector` in the `rangeMs` before `time`, as Prometheus scraped them
   * (a range-vector query: no lookback, timestamps as stored).
   */
  async samples(selector: string, rangeMs: number, time: number): Promise<PromSeries[]> {
    const expr = `${selector}[${Math.floor(rangeMs)}ms]`;
    const params = new URLSearchParams({ query: expr, time: time.toFixed(3) });
    const data = await this.api<{
      resultType: string;
      result: { metric: Record<string, string>; values: [number, string][] }[];
    }>(`/api/v1/query?${params}`);
    if (data.resultType !== 'matrix') throw new Error(`${expr}: expected a matrix, got ${data.resultType}`);
    return data.result.map(({ metric, values }) => ({
      labels: metric,
      points: values.map(([t, value]) => ({ time: t, value })),
    }));
  }

  /** The value of a query that yields one sample, or undefined when it yields none. */
  async scalar(expr: string, time?: number): Promise<number | undefined> {
    const samples = await this.query(expr, time);
    if (samples.length > 1) throw new Error(`${expr}: expected at most one sample, got ${samples.length}`);
    return samples.length === 0 ? undefined : Number(samples[0].value);
  }

  /** The label sets of the series matching `match` with samples between `start` and `end` (seconds). */
  async series(match: string, start: number, end: number): Promise<Record<string, string>[]> {
    const params = new URLSearchParams({ 'match[]': match, start: start.toFixed(3), end: end.toFixed(3) });
    return this.api<Record<string, string>[]>(`/api/v1/series?${params}`);
  }

  /**
   * Polls `probe` until it returns a value other than undefined; rejects after `timeoutMs` with
   * `what`, the last error of the probe and Prometheus's output.
   */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (!this.daemon.running) throw new Error(`while waiting for ${what}: ${this.daemon.describe()}`);
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}${cause}; ${this.daemon.describe()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  output(): string {
    return this.daemon.output();
  }

  /** Stops the server and removes its configuration and data. */
  async stop(): Promise<void> {
    try {
      await this.daemon.stop();
      await this.agent.close();
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private async api<T>(path: string): Promise<T> {
    const response = await request(`${this.url}${path}`, { dispatcher: this.agent });
    const text = await response.body.text();
    let parsed: { status?: string; data?: T; error?: string };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`GET ${path}: HTTP ${response.statusCode}, not JSON: ${text.slice(0, 500)}`);
    }
    if (response.statusCode !== 200 || parsed.status !== 'success') {
      throw new Error(`GET ${path}: HTTP ${response.statusCode}: ${parsed.error ?? text.slice(0, 500)}`);
    }
    return parsed.data as T;
  }
}

/** prometheus.yml: one job per target, `honor_labels: false` (the default) as in a real cluster. */
function prometheusConfig({ jobs, scrapeInterval = '1s', ruleFiles = [] }: PrometheusOptions): string {
  const lines = [
    'global:',
    `  scrape_interval: ${scrapeInterval}`,
    `  scrape_timeout: ${scrapeInterval}`,
    `  evaluation_interval: ${scrapeInterval}`,
    ...(ruleFiles.length > 0 ? ['rule_files:', ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
  ];
  for (const job of jobs) {
    lines.push(
      `  - job_name: ${JSON.stringify(job.name)}`,
      '    honor_labels: false',
      '    static_configs:',
      `      - targets: [${JSON.stringify(job.target)}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Spawns `start(port)` on a port that was free a moment ago and waits until `readyUrl(port)` answers
 * 200; tries another port when the daemon dies first (another process took the port meanwhile).
 */
async function startOnFreePort(
  label: string,
  start: (port: number) => ChildProcess,
  readyUrl: (port: number) => string,
  timeoutMs = 15_000,
): Promise<{ port: number; daemon: Daemon }> {
  const failures: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const daemon = new Daemon(label, start(port));
    const deadline = Date.now() + timeoutMs;
    while (daemon.running && Date.now() < deadline) {
      if (await answers200(readyUrl(port))) return { port, daemon };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const timedOut = daemon.running;
    await daemon.stop();
    if (timedOut)
      throw new Error(`${label} was not ready within ${timeoutMs} ms on port ${port}; ${daemon.describe()}`);
    failures.push(daemon.describe());
  }
  throw new Error(`${label} did not start:\n${failures.join('\n')}`);
}

/** Whether GET `url` answers 200 within a second; a fresh connection each time, none left open. */
function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
      res.once('error', () => resolve(false));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
