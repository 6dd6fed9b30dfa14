// The aggregator as its own process, started exactly as the image starts it.
import type { ChildProcess } from 'node:child_process';
import { startEntrypoint } from './entrypoint';

/** A running `metrics-aggregator` process. */
export interface AggregatorProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `127.0.0.1:<port>`, as a Prometheus static target. */
  readonly target: string;
  /** What the process wrote so far (JSON log lines on stdout, then stderr). */
  output(): string;
  /** Sends SIGTERM; rejects unless the process exits with code 0 within `timeoutMs` (then it is killed). */
  stop(timeoutMs?: number): Promise<void>;
}

/** The most output kept per stream for error messages. */
const OUTPUT_LIMIT = 64 * 1024;

/**
 * Starts the bundled entrypoint with `args` and `env` and resolves once it logs `listening`. Pass
 * `--port 0` to get a free port. Rejects with the process's output if it exits or stays silent.
 */
export async function startAggregator(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 10_000,
): Promise<AggregatorProcess> {
  const child = startEntrypoint([...args], env);
  let stdout = '';
  let stderr = '';
  const output = () => `${stdout}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout = keepTail(stdout + chunk);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = keepTail(stderr + chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  let port: number;
  try {
    port = await waitForListening(child, exited, timeoutMs, output);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (stopTimeoutMs = 15_000): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
      });
      const outcome = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(
          `metrics-aggregator did not exit within ${stopTimeoutMs} ms of SIGTERM:\n${output()}`,
        );
      }
      if (outcome.code !== 0) {
        throw new Error(
          `metrics-aggregator exited with ${outcome.signal ?? `code ${outcome.code}`} after SIGTERM, expected code 0:\n${output()}`,
        );
      }
    })();
    return stopping;
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    target: `127.0.0.1:${port}`,
    output,
    stop,
  };
}

/** The port of the first `listening` log line. */
function waitForListening(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
  output: () => string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      done();
      reject(new Error(`metrics-aggregator did not log "listening" within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const onData = (chunk: string | Buffer) => {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const port = listeningPort(line);
        if (port !== undefined) {
          done();
          resolve(port);
          return;
        }
        newline = pending.indexOf('\n');
      }
    };
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
    };
    child.stdout?.on('data', onData);
    exited.then(({ code, signal }) => {
      done();
      reject(
        new Error(`metrics-aggregator exited (${signal ?? `code ${code}`}) before listening:\n${output()}`),
      );
    });
  });
}

/** The port in `{"msg":"listening","address":"127.0.0.1:1234",…}`, else undefined. */
function listeningPort(line: string): number | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { msg, address } = record as { msg?: unknown; address?: unknown };
  if (msg !== 'listening' || typeof address !== 'string') return undefined;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

function keepTail(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(text.length - OUTPUT_LIMIT) : text;
}
