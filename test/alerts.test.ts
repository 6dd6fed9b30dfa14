// The alerting rules (README "Alerts"): monitoring/rules.yaml is the source; promtool checks it and
// runs its unit tests, and the PrometheusRule of each channel (constructs, chart, kustomize) must be
// valid against the real CRD and carry the same rules.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { MetricsAggregatorAlerts } from '../constructs/src';
import { generatedFiles, type RuleGroup, readRuleGroups } from '../scripts/generate-monitoring';
import { APP_CHART, ChartsCopy, helm, parseManifests } from './support/helm';
import { k8sValidateYaml, validationErrors } from './support/k8s-validate';
import { fixture, kustomizeBuild, repoRoot } from './support/kustomize';
import type { Manifest } from './support/wiring';

/** Debian's promtool (`apt-get install prometheus`), the Prometheus 2.42 of bookworm. */
const PROMTOOL_BIN = '/usr/bin/promtool';
const rulesFile = join(repoRoot, 'monitoring', 'rules.yaml');
const testsDir = join(repoRoot, 'monitoring', 'tests');
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(testsDir, f));

function promtool(args: readonly string[]): { ok: boolean; output: string } {
  if (!existsSync(PROMTOOL_BIN)) {
    throw new Error(`promtool is not installed (${PROMTOOL_BIN} is missing): run apt-get install prometheus`);
  }
  try {
    const stdout = execFileSync(PROMTOOL_BIN, [...args], { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: stdout };
  } catch (error) {
    const failed = error as { status?: number | null; stdout?: string; stderr?: string };
    if (failed.status === undefined || failed.status === null) throw error;
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** The rules of a PrometheusRule or a rules file, in a form where YAML's spelling does not matter. */
function normalized(groups: readonly RuleGroup[]): unknown {
  return JSON.parse(JSON.stringify(groups)).map((g: RuleGroup) => ({
    name: g.name,
    rules: g.rules.map((r) => ({
      alert: r.alert,
      expr: String(r.expr).trim(),
      for: r.for,
      labels: r.labels,
      annotations: r.annotations,
    })),
  }));
}

/** The source's rules with one alert's `for` changed. */
function withFor(alert: string, value: string): unknown {
  return normalized(
    readRuleGroups().map((g) => ({
      ...g,
      rules: g.rules.map((r) => (r.alert === alert ? { ...r, for: value } : r)),
    })),
  );
}

/** The alerts about one container of a pod, which keep its `upstream` label. */
const PER_CONTAINER = [
  'MetricsAggregatorUpstreamDown',
  'MetricsAggregatorUpstreamScrapeNearTimeout',
  'MetricsAggregatorUpstreamLimitHit',
];

const source = normalized(readRuleGroups());
const alertNames = readRuleGroups().flatMap((g) => g.rules.map((r) => r.alert));

describe('the alerting rules (monitoring/rules.yaml)', () => {
  it('pass promtool check rules', () => {
    const outcome = promtool(['check', 'rules', rulesFile]);
    expect(outcome.output).toContain(`SUCCESS: ${alertNames.length} rules found`);
    expect(outcome.ok).toBe(true);
  });

  it('pass their promtool unit tests (monitoring/tests)', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const outcome = promtool(['test', 'rules', ...testFiles]);
    if (!outcome.ok) throw new Error(`promtool test rules failed:\n${outcome.output}`);
    expect(outcome.output).toContain('SUCCESS');
    expect(outcome.output).not.toContain('FAILED');
  });

  it('have unit tests that fire and then resolve every alert', () => {
    const checks = testFiles.flatMap((f) =>
      (parse(readFileSync(f, 'utf8')).tests as Manifest[]).flatMap((t) => t.alert_rule_test as Manifest[]),
    );
    for (const alert of alertNames) {
      const mine = checks.filter((c) => c.alertname === alert);
      const firing = mine
        .filter((c) => (c.exp_alerts ?? []).length > 0)
        .map((c) => parseDuration(c.eval_time));
      const quiet = mine
        .filter((c) => (c.exp_alerts ?? []).length === 0)
        .map((c) => parseDuration(c.eval_time));
      expect([alert, firing.length > 0]).toEqual([alert, true]);
      expect([alert, quiet.some((t) => t > Math.min(...firing))]).toEqual([alert, true]);
    }
  });

  it('name the pod and, where there is one, the container; have a severity, a summary, a description and a runbook in the README', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const rule of readRuleGroups().flatMap((g) => g.rules)) {
      expect(rule.labels.severity).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations.summary).toContain('{{ $labels.pod }}');
      if (PER_CONTAINER.includes(rule.alert))
        expect(rule.annotations.summary).toContain('{{ $labels.upstream }}');
      expect(rule.annotations.description).toBeTruthy();
      const anchor = rule.alert.toLowerCase();
      expect(rule.annotations.runbook_url).toBe(
        `https://github.com/metrics-aggregator/metrics-aggregator#${anchor}`,
      );
      expect(readme).toContain(`\n### ${rule.alert}\n`);
    }
  });

  it('read only metrics the README lists under Its own metrics, and up', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const ownMetrics = readme.slice(
      readme.indexOf('## Its own metrics'),
      readme.indexOf('\n## ', readme.indexOf('## Its own metrics') + 3),
    );
    const used = new Set(
      readRuleGroups()
        .flatMap((g) => g.rules)
        .flatMap((r) => r.expr.match(/\bmetrics_aggregator_[a-z_]+/g) ?? []),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect([name, ownMetrics.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  it('are what scripts/generate-monitoring.ts makes of them in the constructs, the chart and kustomize', () => {
    for (const [path, content] of generatedFiles()) {
      const committed = readFileSync(join(repoRoot, path), 'utf8');
      if (committed !== content) {
        throw new Error(`${path} is stale: run node -r @swc-node/register scripts/generate-monitoring.ts`);
      }
    }
  });
});

describe('the PrometheusRule of each channel', () => {
  let charts: ChartsCopy;
  beforeAll(() => {
    charts = new ChartsCopy();
  });
  afterAll(() => charts?.remove());

  const helmRule = (args: string[]): { yaml: string; rule: Manifest } => {
    const yaml = charts.template(APP_CHART, [
      '-f',
      join(charts.path(APP_CHART), 'ci', 'no-mesh-values.yaml'),
      '--set',
      'prometheusRule.enabled=true',
      ...args,
      '--show-only',
      'templates/prometheusrule.yaml',
    ]);
    return { yaml, rule: parseManifests(yaml)[0] };
  };

  it('cdk8s: MetricsAggregatorAlerts is valid against the CRD and carries the rules of the source', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'monitoring' });
    new MetricsAggregatorAlerts(chart, 'alerts');
    const manifests = Testing.synth(chart);
    expect(
      validationErrors(k8sValidateYaml(manifests.map((m) => JSON.stringify(m)).join('\n---\n'))),
    ).toEqual([]);
    expect(manifests.map((m) => m.kind)).toEqual(['PrometheusRule']);
    expect(normalized(manifests[0].spec.groups)).toEqual(source);
  });

  it('cdk8s: upstreamDownFor changes the for time of MetricsAggregatorUpstreamDown only', () => {
    const chart = new Chart(Testing.app(), 'test');
    const alerts = new MetricsAggregatorAlerts(chart, 'alerts', { upstreamDownFor: Duration.minutes(10) });
    expect(normalized(alerts.prometheusRule.toJson().spec.groups)).toEqual(
      withFor('MetricsAggregatorUpstreamDown', '10m'),
    );
  });

  it('Helm: prometheusRule.enabled emits nothing by default, and a valid PrometheusRule with the rules of the source', () => {
    expect(
      charts.template(APP_CHART, ['-f', join(charts.path(APP_CHART), 'ci', 'no-mesh-values.yaml')]),
    ).not.toContain('kind: PrometheusRule');
    const { yaml, rule } = helmRule(['--set', 'prometheusRule.labels.release=prometheus']);
    const results = k8sValidateYaml(yaml);
    expect(validationErrors(results)).toEqual([]);
    expect(results.map((r) => [r.kind, r.namespace])).toEqual([['PrometheusRule', 'shop']]);
    expect(rule.metadata.labels).toMatchObject({
      release: 'prometheus',
      'app.kubernetes.io/name': 'metrics-aggregator',
    });
    expect(normalized(rule.spec.groups)).toEqual(source);
  });

  it('Helm: prometheusRule.upstreamDownFor and .namespace set the for time of MetricsAggregatorUpstreamDown and where the rule goes', () => {
    const { rule } = helmRule([
      '--set',
      'prometheusRule.upstreamDownFor=15m',
      '--set',
      'prometheusRule.namespace=monitoring',
    ]);
    expect(rule.metadata.namespace).toBe('monitoring');
    expect(normalized(rule.spec.groups)).toEqual(withFor('MetricsAggregatorUpstreamDown', '15m'));
  });

  it('Helm: passes helm lint --strict with the PrometheusRule enabled', () => {
    helm([
      'lint',
      '--strict',
      charts.path(APP_CHART),
      '-f',
      join(charts.path(APP_CHART), 'ci', 'no-mesh-values.yaml'),
      '--set',
      'prometheusRule.enabled=true',
    ]);
  });

  it('Helm: rejects a prometheusRule.upstreamDownFor that is not a Prometheus duration', () => {
    const error = charts.templateError(APP_CHART, [
      '-f',
      join(charts.path(APP_CHART), 'ci', 'no-mesh-values.yaml'),
      '--set',
      'prometheusRule.upstreamDownFor=five minutes',
    ]);
    expect(error).toContain('upstreamDownFor');
  });

  it('kustomize: components/alerts adds a valid PrometheusRule, in the overlay’s namespace, with the rules of the source', () => {
    const overlay = fixture((dir) => ({
      'kustomization.yaml': JSON.stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: 'monitoring',
        components: [relative(dir, join(repoRoot, 'kustomize', 'components', 'alerts'))],
      }),
    }));
    try {
      const built = kustomizeBuild(overlay.dir);
      const results = k8sValidateYaml(built.yaml);
      expect(validationErrors(results)).toEqual([]);
      expect(results.map((r) => [r.kind, r.name, r.namespace])).toEqual([
        ['PrometheusRule', 'metrics-aggregator', 'monitoring'],
      ]);
      expect(normalized(built.manifests[0].spec.groups)).toEqual(source);
    } finally {
      overlay.remove();
    }
  });
});

/** A promtool eval_time (`10m`, `1h30m`) in seconds. */
function parseDuration(text: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  let seconds = 0;
  for (const [, n, unit] of String(text).matchAll(/(\d+)([smhd])/g)) seconds += Number(n) * units[unit];
  return seconds;
}
