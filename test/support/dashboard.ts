// The Grafana dashboard of monitoring/dashboard.json, read for the tests: its panels, their queries
// and its template variables.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');
/** The dashboard, as users import it. */
export const DASHBOARD_FILE = resolve(repoRoot, 'monitoring', 'dashboard.json');
/** The copy the chart embeds with `.Files.Get` (Helm reads no file outside the chart). */
export const CHART_DASHBOARD_FILE = resolve(
  repoRoot,
  'charts',
  'metrics-aggregator',
  'files',
  'dashboard.json',
);

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly DashboardTarget[];
  readonly panels?: readonly DashboardPanel[];
}

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly query: string | { readonly query: string };
  readonly allValue?: string;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly DashboardVariable[] };
}

/** The variables Grafana defines itself, which a query may use undeclared. */
export const GRAFANA_BUILTINS: ReadonlySet<string> = new Set([
  '__interval',
  '__interval_ms',
  '__rate_interval',
  '__range',
  '__range_s',
  '__range_ms',
]);

export function readDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every panel, those of collapsed rows included. */
export function panelsOf(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The names of the variables `text` uses: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
export function variablesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]/g)) {
    names.add(m[1] ?? m[2] ?? m[3]);
  }
  return [...names];
}

/** The query a variable runs, for `query` variables. */
export function variableQuery(variable: DashboardVariable): string {
  return typeof variable.query === 'string' ? variable.query : variable.query.query;
}

/**
 * `expr` as Prometheus would receive it from the dashboard with every option of every variable
 * selected (`.*`, the variables' allValue) and the given intervals.
 */
export function concreteQuery(expr: string, rateInterval = '1m', interval = '15s'): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, rateInterval)
    .replace(/\$__interval|\$\{__interval\}/g, interval)
    .replace(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)/g, '.*');
}
