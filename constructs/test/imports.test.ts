import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Testing } from 'cdk8s';
import { firstDifference } from '../../test/support/first-difference';

const constructsDir = resolve(__dirname, '..');
const script = join(constructsDir, 'scripts', 'import-crds.sh');
const committedDir = join(constructsDir, 'src', 'imports');
const FIX =
  'The committed CRD imports are stale: run `bash constructs/scripts/import-crds.sh` and commit constructs/src/imports.';

const tsFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();

describe('the generated CRD imports (constructs/src/imports)', () => {
  let regeneratedDir: string;

  beforeAll(() => {
    regeneratedDir = mkdtempSync(join(tmpdir(), 'crd-imports-'));
    // The script reads ../shared/crds relative to the repo and runs the local cdk8s-cli: no network.
    execFileSync('bash', [script, regeneratedDir], { stdio: 'pipe' });
  });

  afterAll(() => {
    if (regeneratedDir) rmSync(regeneratedDir, { recursive: true, force: true });
  });

  it('are byte-identical to what scripts/import-crds.sh generates from ../shared/crds', () => {
    const regenerated = tsFiles(regeneratedDir);
    const committed = tsFiles(committedDir);
    expect(regenerated).toEqual(['monitoring.coreos.com.ts', 'security.istio.io.ts']);

    const problems: string[] = [];
    for (const f of regenerated.filter((f) => !committed.includes(f))) problems.push(`${f}: missing`);
    for (const f of committed.filter((f) => !regenerated.includes(f)))
      problems.push(`${f}: no longer generated`);
    for (const f of regenerated.filter((f) => committed.includes(f))) {
      const fresh = readFileSync(join(regeneratedDir, f));
      const old = readFileSync(join(committedDir, f));
      if (!fresh.equals(old))
        problems.push(`${f}: differs at ${firstDifference(fresh.toString(), old.toString())}`);
    }
    if (problems.length > 0) throw new Error(`${FIX}\n  ${problems.join('\n  ')}`);
  });
});

// Loaded per test, not imported at the top, so that a missing generated file fails these smoke tests but still
// lets the freshness check above run and say how to fix it.
describe('the generated CRD classes', () => {
  it('synthesize a PodMonitor as monitoring.coreos.com/v1', async () => {
    const { PodMonitor } = await import('../src/imports/monitoring.coreos.com');
    const chart = Testing.chart();
    new PodMonitor(chart, 'x', { spec: { selector: {}, podMetricsEndpoints: [{ port: 'metrics' }] } });
    const [manifest] = Testing.synth(chart);
    expect(manifest).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      spec: { selector: {}, podMetricsEndpoints: [{ port: 'metrics' }] },
    });
    expect(manifest.metadata.name).toEqual(expect.any(String));
  });

  it('synthesize a PeerAuthentication as security.istio.io/v1', async () => {
    const { PeerAuthentication, PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtlsMode } =
      await import('../src/imports/security.istio.io');
    const chart = Testing.chart();
    new PeerAuthentication(chart, 'x', {
      spec: {
        selector: { matchLabels: { app: 'api' } },
        mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT },
        portLevelMtls: { '9090': { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE } },
      },
    });
    expect(Testing.synth(chart)).toEqual([
      expect.objectContaining({
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        spec: {
          selector: { matchLabels: { app: 'api' } },
          mtls: { mode: 'STRICT' },
          portLevelMtls: { '9090': { mode: 'PERMISSIVE' } },
        },
      }),
    ]);
  });

  it('synthesize a PrometheusRule as monitoring.coreos.com/v1, its int-or-string expr as a plain string', async () => {
    const { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } = await import(
      '../src/imports/monitoring.coreos.com'
    );
    const chart = Testing.chart();
    new PrometheusRule(chart, 'x', {
      spec: {
        groups: [
          {
            name: 'g',
            rules: [{ record: 'r', expr: PrometheusRuleSpecGroupsRulesExpr.fromString('sum(up)') }],
          },
        ],
      },
    });
    expect(Testing.synth(chart)).toEqual([
      expect.objectContaining({
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        spec: { groups: [{ name: 'g', rules: [{ record: 'r', expr: 'sum(up)' }] }] },
      }),
    ]);
  });
});
