// Independent parsers to cross-check the engine's output with: promtool (Prometheus's Go text
// parser, via `promtool check metrics`) for classic text, and prometheus_client's strict
// OpenMetrics parser (Python) for OpenMetrics. Both are required: a missing tool fails the tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const PROMTOOL = '/usr/bin/promtool';
/** Debian's own interpreter: python3-prometheus-client installs for it, not for a pyenv python3 on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const OPENMETRICS_CHECK = join(__dirname, 'openmetrics_check.py');
const INSTALL_HINT = 'install them with: apt-get install prometheus python3-prometheus-client';

let missing: string[] | undefined;

/** What is missing of the external parsers (empty when both are usable). */
export function missingExternalParsers(): string[] {
  if (missing) return missing;
  const problems: string[] = [];
  if (!existsSync(PROMTOOL)) problems.push(`${PROMTOOL} is missing (Debian package "prometheus")`);
  else if (spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).status !== 0) {
    problems.push(`${PROMTOOL} --version fails`);
  }
  if (!existsSync(SYSTEM_PYTHON)) problems.push(`${SYSTEM_PYTHON} is missing (Debian package "python3")`);
  else {
    const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import prometheus_client.openmetrics.parser'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) {
      problems.push(
        `${SYSTEM_PYTHON} cannot import prometheus_client.openmetrics.parser (Debian package ` +
          `"python3-prometheus-client"): ${probe.stderr.trim().split('\n').at(-1)}`,
      );
    }
  }
  missing = problems;
  return problems;
}

/** Throws, telling how to install them, unless promtool and the Python parser are both usable. */
export function requireExternalParsers(): void {
  const problems = missingExternalParsers();
  if (problems.length > 0) {
    throw new Error(
      `The exposition cross-check needs independent parsers, which are not installed:\n  - ${problems.join(
        '\n  - ',
      )}\n${INSTALL_HINT} (CI installs them in .ci/run).`,
    );
  }
}

interface Completed {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  input: Buffer | string,
  timeoutMs = 60_000,
): Promise<Completed> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {}); // A parser that exits early closes its stdin: the status tells.
    child.stdin.end(input);
  });
}

export interface PromtoolResult {
  readonly exitCode: number | null;
  /** The parse error promtool reported ("error while linting: text format parsing error ..."), if any. */
  readonly parseError: string | undefined;
  /** Lint findings that are not parse errors (missing HELP, counter without _total, ...). */
  readonly lintProblems: readonly string[];
  readonly stderr: string;
}

/**
 * `promtool check metrics < body`. Its exit status is 0 when clean, 3 when it only found lint
 * problems (printed on stderr as "<metric> <problem>"), 1 when linting failed, which for a body is a
 * parse error printed as "error while linting: text format parsing error in line N: ...".
 */
export async function promtoolCheckMetrics(body: Buffer | string): Promise<PromtoolResult> {
  const { status, stderr } = await run(PROMTOOL, ['check', 'metrics'], body);
  const lines = stderr.split('\n').filter((line) => line.length > 0);
  const errorLine = lines.find((line) => line.startsWith('error while linting'));
  const parseError =
    errorLine ??
    (status === 0 || status === 3 ? undefined : `promtool exited with ${status}: ${stderr.trim()}`);
  return {
    exitCode: status,
    parseError,
    lintProblems: lines.filter((line) => line !== errorLine),
    stderr,
  };
}

export interface PythonSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar: boolean;
}

export interface PythonFamily {
  readonly name: string;
  readonly type: string;
  readonly unit: string;
  readonly help: string;
}

export type PythonParseResult =
  | {
      readonly ok: true;
      readonly families: readonly PythonFamily[];
      readonly samples: readonly PythonSample[];
    }
  | { readonly ok: false; readonly error: string };

const pythonFloat = (repr: string): number =>
  repr === 'nan'
    ? Number.NaN
    : repr === 'inf'
      ? Number.POSITIVE_INFINITY
      : repr === '-inf'
        ? -Infinity
        : Number(repr);

/**
 * Parses OpenMetrics bodies with prometheus_client.openmetrics.parser.text_string_to_metric_families,
 * all in one Python process; one result per body, in order.
 */
export async function pythonParseOpenMetrics(
  bodies: readonly (Buffer | string)[],
): Promise<PythonParseResult[]> {
  if (bodies.length === 0) return [];
  const input = JSON.stringify(bodies.map((b) => Buffer.from(b).toString('base64')));
  const { status, stdout, stderr } = await run(SYSTEM_PYTHON, [OPENMETRICS_CHECK], input);
  if (status !== 0) {
    throw new Error(
      status === 3
        ? `${SYSTEM_PYTHON} cannot import prometheus_client: ${stderr.trim()}\n${INSTALL_HINT}`
        : `${OPENMETRICS_CHECK} failed with status ${status}: ${stderr.trim()}`,
    );
  }
  const raw = JSON.parse(stdout) as (
    | { ok: true; families: PythonFamily[]; samples: (Omit<PythonSample, 'value'> & { value: string })[] }
    | { ok: false; error: string }
  )[];
  return raw.map((r) =>
    r.ok
      ? {
          ok: true,
          families: r.families,
          samples: r.samples.map((s) => ({ ...s, value: pythonFloat(s.value) })),
        }
      : r,
  );
}
