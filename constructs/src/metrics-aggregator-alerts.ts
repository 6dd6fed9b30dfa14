import type { ApiObjectMetadata, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ALERT_RULE_GROUPS } from './_alert-rules';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from './imports/monitoring.coreos.com';

/** The alert whose `for` time `upstreamDownFor` sets. */
const UPSTREAM_DOWN_ALERT = 'MetricsAggregatorUpstreamDown';

/** Options of the aggregator's alerting rules. */
export interface MetricsAggregatorAlertsProps {
  /**
   * How long an upstream must fail its scrapes before MetricsAggregatorUpstreamDown fires.
   * @default Duration.minutes(5)
   */
  readonly upstreamDownFor?: Duration;
  /**
   * Metadata of the PrometheusRule, e.g. its namespace and the labels a Prometheus's `ruleSelector` selects on.
   * @default - a generated name, no namespace, no extra labels
   */
  readonly metadata?: ApiObjectMetadata;
}

/**
 * The alerting rules of monitoring/rules.yaml (README "Alerts") as a PrometheusRule for
 * prometheus-operator: upstreams down, scrapes near their timeout, limit hits, type conflicts and the
 * aggregator's target down.
 */
export class MetricsAggregatorAlerts extends Construct {
  /** The PrometheusRule. */
  readonly prometheusRule: PrometheusRule;

  constructor(scope: Construct, id: string, props: MetricsAggregatorAlertsProps = {}) {
    super(scope, id);
    const upstreamDownFor = props.upstreamDownFor ? promDuration(props.upstreamDownFor) : undefined;
    this.prometheusRule = new PrometheusRule(this, 'Resource', {
      metadata: {
        ...props.metadata,
        labels: {
          'app.kubernetes.io/name': 'metrics-aggregator',
          'app.kubernetes.io/part-of': 'metrics-aggregator',
          ...props.metadata?.labels,
        },
      },
      spec: {
        groups: ALERT_RULE_GROUPS.map((group) => ({
          name: group.name,
          rules: group.rules.map((rule) => ({
            alert: rule.alert,
            expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
            for: rule.alert === UPSTREAM_DOWN_ALERT && upstreamDownFor ? upstreamDownFor : rule.for,
            labels: { ...rule.labels },
            annotations: { ...rule.annotations },
          })),
        })),
      },
    });
  }
}

/** A Duration as Prometheus writes one, in the largest unit that divides it (`90s`, `10m`, `1h`). */
function promDuration(duration: Duration): string {
  const ms = duration.toMilliseconds();
  if (!Number.isInteger(ms / 1000) || ms <= 0) {
    throw new Error(
      `MetricsAggregatorAlerts: upstreamDownFor must be a whole number of seconds above 0, got ${ms / 1000} seconds`,
    );
  }
  const seconds = ms / 1000;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
