import { Chart, Duration, Testing } from 'cdk8s';
import { MetricsAggregatorAlerts } from '../src';

type Manifest = Record<string, any>;

function synth(props?: ConstructorParameters<typeof MetricsAggregatorAlerts>[2]): Manifest[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'monitoring' });
  new MetricsAggregatorAlerts(chart, 'alerts', props);
  return Testing.synth(chart);
}

const rulesOf = (m: Manifest): Manifest[] => m.spec.groups.flatMap((g: Manifest) => g.rules);
const forOf = (m: Manifest, alert: string): string => rulesOf(m).find((r) => r.alert === alert)?.for;

describe('MetricsAggregatorAlerts', () => {
  it('emits one PrometheusRule in the chart’s namespace, labelled as part of metrics-aggregator', () => {
    const [rule, ...rest] = synth();
    expect(rest).toEqual([]);
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.kind).toBe('PrometheusRule');
    expect(rule.metadata.namespace).toBe('monitoring');
    expect(rule.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'metrics-aggregator',
      'app.kubernetes.io/part-of': 'metrics-aggregator',
    });
  });

  it('holds every alert of the README, each with a severity and a runbook', () => {
    const rules = rulesOf(synth()[0]);
    expect(rules.map((r) => r.alert)).toEqual([
      'MetricsAggregatorUpstreamDown',
      'MetricsAggregatorAllUpstreamsDown',
      'MetricsAggregatorUpstreamScrapeNearTimeout',
      'MetricsAggregatorUpstreamLimitHit',
      'MetricsAggregatorTypeConflicts',
      'MetricsAggregatorTargetDown',
    ]);
    for (const r of rules) {
      expect(r.labels.severity).toBeDefined();
      expect(r.annotations.runbook_url).toContain(`#${r.alert.toLowerCase()}`);
    }
  });

  it('fires MetricsAggregatorUpstreamDown after 5 minutes by default, after upstreamDownFor when given', () => {
    expect(forOf(synth()[0], 'MetricsAggregatorUpstreamDown')).toBe('5m');
    expect(forOf(synth({ upstreamDownFor: Duration.minutes(10) })[0], 'MetricsAggregatorUpstreamDown')).toBe(
      '10m',
    );
    expect(forOf(synth({ upstreamDownFor: Duration.seconds(90) })[0], 'MetricsAggregatorUpstreamDown')).toBe(
      '90s',
    );
    expect(forOf(synth({ upstreamDownFor: Duration.hours(1) })[0], 'MetricsAggregatorUpstreamDown')).toBe(
      '1h',
    );
    // The other alerts keep their own time.
    expect(forOf(synth({ upstreamDownFor: Duration.hours(1) })[0], 'MetricsAggregatorAllUpstreamsDown')).toBe(
      '5m',
    );
  });

  it('takes the metadata given, adding its labels to its own', () => {
    const [rule] = synth({
      metadata: { name: 'aggregator-alerts', namespace: 'ops', labels: { release: 'prometheus' } },
    });
    expect(rule.metadata).toMatchObject({
      name: 'aggregator-alerts',
      namespace: 'ops',
      labels: { release: 'prometheus', 'app.kubernetes.io/name': 'metrics-aggregator' },
    });
  });

  it('gives its PrometheusRule the construct id Resource', () => {
    const chart = new Chart(Testing.app(), 'test');
    const alerts = new MetricsAggregatorAlerts(chart, 'alerts');
    expect(alerts.node.findChild('Resource')).toBe(alerts.prometheusRule);
  });

  it('rejects an upstreamDownFor that is not a whole number of seconds above 0', () => {
    expect(() => synth({ upstreamDownFor: Duration.millis(1500) })).toThrow(
      'MetricsAggregatorAlerts: upstreamDownFor must be a whole number of seconds above 0, got 1.5 seconds',
    );
    expect(() => synth({ upstreamDownFor: Duration.seconds(0) })).toThrow(/upstreamDownFor/);
  });
});
