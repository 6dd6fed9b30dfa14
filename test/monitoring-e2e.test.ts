// The dashboard and the alert rules against a real Prometheus scraping a real aggregator (the
// bundled entrypoint) of two containers, one of them stopped: every panel query is one Prometheus
// accepts and answers with data, and the alerts load, evaluate and point at the stopped container.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { type AggregatorProcess, startAggregator } from '../aggregator/test/support/aggregator-process';
import { type AppUpstream, startAppUpstream } from '../aggregator/test/support/app-upstreams';
import { PROMETHEUS_BIN, Prometheus, requireBinary } from '../aggregator/test/support/prometheus';
import { concreteQuery, panelsOf, readDashboard, variableQuery } from './support/dashboard';

const RULES_FILE = resolve(__dirname, '..', 'monitoring', 'rules.yaml');
const UP = 'api';
const DOWN = 'worker';
const UPSTREAM_DOWN_ALERT = 'MetricsAggregatorUpstreamDown';

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string }[];
}

interface ApiRule {
  name: string;
  type: string;
  health: string;
  lastError?: string;
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

let api: AppUpstream | undefined;
let worker: AppUpstream | undefined;
let aggregator: AggregatorProcess | undefined;
let prometheus: Prometheus | undefined;
let rulesDir: string | undefined;
let groups: RuleGroup[] = [];

beforeAll(async () => {
  requireBinary(PROMETHEUS_BIN);
  if (!existsSync(RULES_FILE)) {
    throw new Error(`${RULES_FILE} is missing: the alert rules (monitoring/rules.yaml) are tested here`);
  }
  groups = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;
  // The same rules, without their `for`: they go pending, then firing, at the first evaluation.
  rulesDir = await mkdtemp(join(tmpdir(), 'metrics-aggregator-rules-'));
  const testRules = join(rulesDir, 'rules.yaml');
  const immediate = groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => (r.for ? { ...r, for: '0s' } : r)),
  }));
  await writeFile(testRules, stringify({ groups: immediate }));

  api = await startAppUpstream(UP, { openMetrics: false });
  worker = await startAppUpstream(DOWN, { openMetrics: true });
  aggregator = await startAggregator(
    ['--port', '0', '--host', '127.0.0.1', '--upstream-timeout', '2s', '--shutdown-grace', '2s'],
    { METRICS_ENDPOINTS: JSON.stringify({ [UP]: api.url, [DOWN]: worker.url }) },
  );
  await worker.stop();
  prometheus = await Prometheus.start({
    jobs: [{ name: 'aggregator', target: aggregator.target }],
    ruleFiles: [testRules],
  });
  const prom = prometheus;
  // Three scrapes: enough for every rate() of the dashboard over a 1m window.
  await prom.waitFor('three scrapes of the aggregator', async () => {
    const seen = await prom.query('count_over_time(metrics_aggregator_upstream_up[1m]) >= 3');
    return seen.length === 2 ? true : undefined;
  });
}, 30_000);

afterAll(async () => {
  const failures: unknown[] = [];
  await prometheus?.stop().catch((error: unknown) => failures.push(error));
  const results = await Promise.allSettled([aggregator?.stop(), api?.stop(), worker?.stop()]);
  for (const result of results) if (result.status === 'rejected') failures.push(result.reason);
  if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  if (failures.length > 0) throw new Error(failures.map(String).join('\n'));
}, 30_000);

function prom(): Prometheus {
  if (!prometheus) throw new Error('Prometheus did not start: see the error of beforeAll');
  return prometheus;
}

/** GET a Prometheus API path; its `data`, or an error with Prometheus's. */
async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(`${prom().url}${path}`);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`GET ${path}: ${body.error}`);
  return body.data;
}

async function rules(): Promise<ApiRule[]> {
  const data = await apiGet<{ groups: { rules: ApiRule[] }[] }>('/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

describe('the dashboard against a real Prometheus scraping the aggregator', () => {
  const targets = panelsOf(readDashboard()).flatMap((panel) =>
    (panel.targets ?? []).map((t) => [`${panel.title} (${t.refId})`, concreteQuery(t.expr)] as const),
  );

  it.each(targets)('answers the query of "%s" with data', async (_, expr) => {
    const samples = await prom().query(expr);
    expect({ expr, series: samples.length > 0 }).toEqual({ expr, series: true });
  });

  it('shows the stopped upstream down and refused, the other up', async () => {
    const queryOf = (title: string) => targets.find(([name]) => name.startsWith(title))?.[1] ?? '';
    const up = await prom().query(queryOf('Upstream up'));
    expect(Object.fromEntries(up.map((s) => [s.labels.upstream, s.value]))).toEqual({
      [UP]: '1',
      [DOWN]: '0',
    });
    expect(await prom().scalar(queryOf('Upstreams down'))).toBe(1);
    const errors = await prom().query(queryOf('Errors by reason'));
    const failing = errors
      .filter((s) => Number(s.value) > 0)
      .map((s) => `${s.labels.upstream} ${s.labels.reason}`);
    expect(failing).toEqual([`${DOWN} refused`]);
  });

  it('offers every upstream in the upstream variable', async () => {
    const upstream = readDashboard().templating.list.find((v) => v.name === 'upstream');
    const [, metric] = /^label_values\((\w+)/.exec(upstream ? variableQuery(upstream) : '') ?? [];
    const values = await apiGet<string[]>(`/api/v1/label/upstream/values?match[]=${metric}`);
    expect(values.sort()).toEqual([UP, DOWN]);
  });
});

describe('the alert rules (monitoring/rules.yaml) against a real Prometheus scraping the aggregator', () => {
  it('loads every rule and evaluates each without error', async () => {
    const loaded = await prom().waitFor('an evaluation of every rule', async () => {
      const all = await rules();
      return all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    const expected = groups.flatMap((g) => g.rules.map((r) => r.alert ?? r.record));
    expect(loaded.map((r) => r.name)).toEqual(expected);
    expect(
      loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`),
    ).toEqual([]);
  });

  it(`raises ${UPSTREAM_DOWN_ALERT} for the stopped upstream, and only for it`, async () => {
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert))).toContain(UPSTREAM_DOWN_ALERT);
    const raised = await prom().waitFor(`${UPSTREAM_DOWN_ALERT} pending or firing`, async () => {
      const { alerts } = await apiGet<{ alerts: ApiAlert[] }>('/api/v1/alerts');
      const mine = alerts.filter((a) => a.labels.alertname === UPSTREAM_DOWN_ALERT);
      return mine.length > 0 ? mine : undefined;
    });
    expect(raised.map((a) => a.labels.upstream)).toEqual([DOWN]);
    expect(['pending', 'firing']).toContain(raised[0].state);
    // One container of two answering is not "all down".
    const { alerts } = await apiGet<{ alerts: ApiAlert[] }>('/api/v1/alerts');
    expect(alerts.map((a) => a.labels.alertname)).not.toContain('MetricsAggregatorAllUpstreamsDown');
  });
});
