// Runs the pinned Helm (and yamllint) on the charts of charts/, for the chart tests. Each test file
// works on its own copy of charts/ in a temporary directory, where `helm dependency build` vendors the
// library from its file:// repository (offline), so that test files running in parallel never share
// a vendored dependency and the work tree stays clean.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from './wiring';

const repoRoot = resolve(__dirname, '..', '..');
/** Where `bash scripts/go-tools.sh` builds the pinned Helm. */
export const HELM_BIN = resolve(repoRoot, '.tools', 'bin', 'helm');
/** The charts of the repository. */
export const CHARTS_DIR = resolve(repoRoot, 'charts');
/** The application chart and the library chart, relative to charts/. */
export const APP_CHART = 'metrics-aggregator';
export const LIB_CHART = 'metrics-aggregator-lib';
/** The chart a user writes with the library: Helm cannot render a library chart alone. */
export const CONSUMER_CHART = 'metrics-aggregator-lib/ci/consumer';
/** Debian's yamllint (`apt-get install yamllint`). */
export const YAMLLINT_BIN = '/usr/bin/yamllint';

/** The result of a command that may fail. */
export interface Outcome {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs Helm; throws (with Helm's message) unless it exits 0. */
export function helm(args: readonly string[], cwd?: string): string {
  const outcome = tryHelm(args, cwd);
  if (!outcome.ok) throw new Error(`helm ${args.join(' ')} failed: ${outcome.stderr.trim()}`);
  return outcome.stdout;
}

/** Runs Helm and reports how it went, for the tests of what must fail. */
export function tryHelm(args: readonly string[], cwd?: string): Outcome {
  if (!existsSync(HELM_BIN)) {
    throw new Error(
      `helm is not built (${HELM_BIN} is missing): run bash scripts/go-tools.sh (needs Go 1.23+)`,
    );
  }
  return run(HELM_BIN, args, cwd);
}

/** Runs yamllint; throws when it is not installed. */
export function yamllint(args: readonly string[], cwd: string): Outcome {
  if (!existsSync(YAMLLINT_BIN)) {
    throw new Error(`yamllint is not installed (${YAMLLINT_BIN} is missing): run apt-get install yamllint`);
  }
  return run(YAMLLINT_BIN, args, cwd);
}

function run(bin: string, args: readonly string[], cwd: string | undefined): Outcome {
  try {
    const stdout = execFileSync(bin, [...args], { cwd, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status?: number | null; stdout?: string; stderr?: string };
    if (failed.status === undefined || failed.status === null) throw error;
    return { ok: false, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A private copy of charts/ with the library vendored into the charts that depend on it. */
export class ChartsCopy {
  /** The copy of charts/. */
  readonly dir: string;

  constructor() {
    this.dir = join(mkdtempSync(join(tmpdir(), 'charts-')), 'charts');
    // Leave out what an earlier `helm dependency build` in the work tree vendored.
    cpSync(CHARTS_DIR, this.dir, {
      recursive: true,
      filter: (src) => basename(src) !== 'charts' || src === CHARTS_DIR,
    });
    for (const chart of [APP_CHART, CONSUMER_CHART]) helm(['dependency', 'build', this.path(chart)]);
  }

  /** The path of a chart (relative to charts/) in the copy. */
  path(chart: string): string {
    return join(this.dir, chart);
  }

  /** `helm template` of a chart in namespace shop, release shop; returns the YAML. */
  template(chart: string, args: readonly string[] = []): string {
    return helm(['template', 'shop', this.path(chart), '--namespace', 'shop', ...args]);
  }

  /** `helm template` expected to fail; returns Helm's error (empty when it succeeded). */
  templateError(chart: string, args: readonly string[] = []): string {
    const outcome = tryHelm(['template', 'shop', this.path(chart), '--namespace', 'shop', ...args]);
    return outcome.ok ? '' : outcome.stderr.trim();
  }

  remove(): void {
    rmSync(resolve(this.dir, '..'), { recursive: true, force: true });
  }
}

/** The objects of a multi-document YAML text, empty documents left out. */
export function parseManifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0].message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null && m !== undefined);
}

/** The value of the sidecar's METRICS_ENDPOINTS in a rendered workload. */
export function metricsEndpointsOf(manifests: readonly Manifest[]): string {
  const [workload] = manifests.filter((m) => m.kind === 'Deployment');
  const pod = workload?.spec.template.spec;
  const sidecar = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].find(
    (c: Manifest) => c.name === 'metrics-aggregator',
  );
  const value = sidecar?.env?.find((e: Manifest) => e.name === 'METRICS_ENDPOINTS')?.value;
  if (typeof value !== 'string') throw new Error('the sidecar has no METRICS_ENDPOINTS');
  return value;
}
