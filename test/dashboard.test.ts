import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CHART_DASHBOARD_FILE,
  DASHBOARD_FILE,
  type Dashboard,
  GRAFANA_BUILTINS,
  panelsOf,
  readDashboard,
  variableQuery,
  variablesIn,
} from './support/dashboard';
import { APP_CHART, ChartsCopy, parseManifests } from './support/helm';
import { k8sValidateYaml, validationErrors } from './support/k8s-validate';

/** What each panel of the dashboard must show, by the metric its queries read. */
const SHOWN_METRICS = [
  'metrics_aggregator_upstream_up',
  'metrics_aggregator_upstream_scrape_duration_seconds',
  'metrics_aggregator_upstream_scrape_timeout_seconds',
  'metrics_aggregator_upstream_samples',
  'metrics_aggregator_upstream_response_bytes',
  'metrics_aggregator_upstream_errors_total',
  'metrics_aggregator_conflicting_families',
  'metrics_aggregator_type_conflicts_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
];

describe('the Grafana dashboard (monitoring/dashboard.json)', () => {
  let dashboard: Dashboard;

  beforeAll(() => {
    dashboard = readDashboard();
  });

  it('is JSON with a stable uid and a schema version Grafana 10 and 11 read', () => {
    expect(dashboard.uid).toBe('metrics-aggregator');
    expect(dashboard.title).toBe('metrics-aggregator');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
  });

  it('gives every panel a unique id and at least one Prometheus query on the chosen data source', () => {
    const panels = panelsOf(dashboard).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(SHOWN_METRICS.length - 2);
    const ids = panelsOf(dashboard).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      const targets = panel.targets ?? [];
      expect({ title: panel.title, queries: targets.length > 0 }).toEqual({
        title: panel.title,
        queries: true,
      });
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JavaScript's
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const refIds = targets.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const target of targets) {
        expect(target.expr.trim()).not.toBe('');
        expect(target.datasource).toEqual(panel.datasource);
      }
    }
  });

  it('shows every upstream metric, the type conflicts, CPU and memory', () => {
    const exprs = panelsOf(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    for (const metric of SHOWN_METRICS) {
      expect({ metric, shown: exprs.some((e) => e.includes(metric)) }).toEqual({ metric, shown: true });
    }
  });

  it('reads only metrics the README lists under "Its own metrics"', () => {
    const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Its own metrics'), readme.indexOf('### Dashboard'));
    const exprs = panelsOf(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const metrics = new Set(exprs.flatMap((e) => e.match(/\b(?:metrics_aggregator|process)_\w+/g) ?? []));
    expect(metrics.size).toBeGreaterThanOrEqual(SHOWN_METRICS.length);
    expect([...metrics].filter((m) => !section.includes(`\`${m}\``))).toEqual([]);
  });

  it('defines the datasource, namespace, pod and upstream variables, the last three from metrics_aggregator_upstream_up', () => {
    const variables = dashboard.templating.list;
    expect(variables.map((v) => v.name)).toEqual(['datasource', 'namespace', 'pod', 'upstream']);
    expect(variables[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const variable of variables.slice(1)) {
      expect(variable.type).toBe('query');
      expect(variableQuery(variable)).toMatch(
        new RegExp(`^label_values\\(metrics_aggregator_upstream_up(\\{.*\\})?, ${variable.name}\\)$`),
      );
      expect(variable.allValue).toBe('.*');
    }
  });

  it('uses only variables it defines, or Grafana’s own, in panels and variable queries', () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const used = [
      ...panelsOf(dashboard).flatMap((p) => [
        ...(p.targets ?? []).flatMap((t) => [t.expr, t.datasource?.uid ?? '']),
        p.datasource?.uid ?? '',
      ]),
      ...dashboard.templating.list.filter((v) => v.type === 'query').map(variableQuery),
    ].flatMap(variablesIn);
    expect(used.length).toBeGreaterThan(0);
    expect([...new Set(used)].filter((name) => !defined.has(name) && !GRAFANA_BUILTINS.has(name))).toEqual(
      [],
    );
  });

  it('is the file the chart embeds (charts/metrics-aggregator/files/dashboard.json)', () => {
    if (readFileSync(CHART_DASHBOARD_FILE, 'utf8') !== readFileSync(DASHBOARD_FILE, 'utf8')) {
      throw new Error(
        'charts/metrics-aggregator/files/dashboard.json is stale: run `cp monitoring/dashboard.json charts/metrics-aggregator/files/dashboard.json`',
      );
    }
  });
});

describe('the chart’s dashboard ConfigMap (grafanaDashboard)', () => {
  let charts: ChartsCopy;
  const seed = () => ['-f', `${charts.path(APP_CHART)}/ci/no-mesh-values.yaml`];

  beforeAll(() => {
    charts = new ChartsCopy();
  });

  afterAll(() => charts?.remove());

  it('emits no ConfigMap by default', () => {
    const kinds = parseManifests(charts.template(APP_CHART, seed())).map((m) => m.kind);
    expect(kinds).not.toContain('ConfigMap');
  });

  it('holds exactly monitoring/dashboard.json, labelled for Grafana’s sidecar, valid for Kubernetes', () => {
    const yaml = charts.template(APP_CHART, [
      ...seed(),
      '--set',
      'grafanaDashboard.enabled=true',
      '--show-only',
      'templates/dashboard-configmap.yaml',
    ]);
    const [configMap] = parseManifests(yaml);
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.metadata.name).toBe('shop-metrics-aggregator-dashboard');
    expect(configMap.metadata.namespace).toBe('shop');
    expect(configMap.metadata.labels).toMatchObject({
      grafana_dashboard: '1',
      'app.kubernetes.io/name': 'metrics-aggregator',
      'app.kubernetes.io/instance': 'shop',
    });
    expect(Object.keys(configMap.data)).toEqual(['metrics-aggregator.json']);
    expect(configMap.data['metrics-aggregator.json']).toBe(readFileSync(DASHBOARD_FILE, 'utf8'));
    expect(validationErrors(k8sValidateYaml(yaml))).toEqual([]);
  });

  it('goes to the namespace, with the labels and annotations, given', () => {
    const yaml = charts.template(APP_CHART, [
      ...seed(),
      '--set',
      'grafanaDashboard.enabled=true',
      '--set',
      'grafanaDashboard.namespace=grafana',
      '--set-json',
      'grafanaDashboard.labels={"dashboards":"team-a"}',
      '--set-json',
      'grafanaDashboard.annotations={"grafana_folder":"Platform"}',
      '--show-only',
      'templates/dashboard-configmap.yaml',
    ]);
    const [configMap] = parseManifests(yaml);
    expect(configMap.metadata.namespace).toBe('grafana');
    expect(configMap.metadata.labels.dashboards).toBe('team-a');
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Platform' });
    expect(validationErrors(k8sValidateYaml(yaml))).toEqual([]);
  });
});
