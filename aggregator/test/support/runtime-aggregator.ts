import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Aggregator } from '../../src/aggregator';
import { loadConfig } from '../../src/config';
import { Logger } from '../../src/observability/logger';
import { startEntrypoint } from './entrypoint';

/** Upstream names to their URLs, as METRICS_ENDPOINTS takes them. */
export type Endpoints = Record<string, string>;

/** An aggregator started in this process, on a free port of 127.0.0.1. */
export interface InProcessAggregator {
  readonly url: string;
  readonly aggregator: Aggregator;
  /** Its JSON log lines, parsed. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `Aggregator` in-process with the configuration the command line would build. */
export async function startInProcess(
  endpoints: Endpoints,
  args: string[] = [],
): Promise<InProcessAggregator> {
  const config = loadConfig(['--port', '0', '--host', '127.0.0.1', ...args], {
    METRICS_ENDPOINTS: JSON.stringify(endpoints),
  });
  const logs: Record<string, unknown>[] = [];
  const logger = new Logger(config.logLevel, (line) => logs.push(JSON.parse(line)));
  const aggregator = await Aggregator.start(config, logger);
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${aggregator.address.port}`,
    aggregator,
    logs,
    stop: () => {
      stopped ??= aggregator.stop();
      return stopped;
    },
  };
}

/** The bundled bin running as a child process, as the image runs it. */
export interface AggregatorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Its stdout JSON log lines so far, parsed. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<number | string>;
}

/** Starts the image's ENTRYPOINT with these upstreams and flags; resolves once it logs "listening". */
export async function startProcess(
  endpoints: Endpoints,
  args: string[] = [],
  timeoutMs = 10_000,
): Promise<AggregatorProcess> {
  const child = startEntrypoint(['--port', '0', '--host', '127.0.0.1', ...args], {
    METRICS_ENDPOINTS: JSON.stringify(endpoints),
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let pending = '';
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          resolve(String(entry.address));
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`metrics-aggregator exited (${code}) before listening: ${stderr}`));
    });
  });
  const address = await listening.catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the child process has no pid');
  return {
    url: `http://${address}`,
    child,
    pid,
    logs,
    stderr: () => stderr,
    exited,
    stop: async (killAfterMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

const KiB = 1024;

/** Resident and peak resident memory of a process, in bytes, from /proc/<pid>/status (Linux). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * KiB;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}
