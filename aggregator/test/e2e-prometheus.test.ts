// End to end with a real Prometheus: it scrapes every upstream directly and through the
// aggregator, and what it stores must be the same. Prometheus 2.42 asks for OpenMetrics first, so
// the classic-text upstreams go through the text-to-OpenMetrics conversion.
import { type AggregatorProcess, startAggregator } from './support/aggregator-process';
import { type AppUpstream, ODD_LABEL_VALUES, startAppUpstream } from './support/app-upstreams';
import {
  NODE_EXPORTER_BIN,
  type NodeExporter,
  PROMETHEUS_BIN,
  Prometheus,
  type PromSample,
  requireBinary,
  startNodeExporter,
} from './support/prometheus';

const AGGREGATOR_JOB = 'aggregator';
const ORIGIN_LABEL = 'origin_container';
const SELF_ORIGIN = 'metrics-aggregator';
const APP_TEXT = 'app-text';
const APP_OPENMETRICS = 'app-openmetrics';
const NODE = 'node';

/** Series Prometheus writes for every target itself (scrape/scrape.go), not read from the exposition. */
const SCRAPE_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

/**
 * node_exporter series whose values hold still between the direct scrape and the scrape through
 * the aggregator (sizes, flags, versions). The others (CPU seconds, free memory, load, GC
 * durations) move between two scrapes a few milliseconds apart, so for them only the presence of
 * the series is compared; the apps, frozen, have their every value compared.
 */
const NODE_STABLE_METRICS = new Set([
  'go_info',
  'node_exporter_build_info',
  'node_filesystem_device_error',
  'node_filesystem_readonly',
  'node_filesystem_size_bytes',
  'node_filesystem_files',
  'node_memory_MemTotal_bytes',
  'node_memory_SwapTotal_bytes',
  'node_scrape_collector_success',
  'process_max_fds',
  'process_virtual_memory_max_bytes',
]);

let nodeExporter: NodeExporter | undefined;
let appText: AppUpstream | undefined;
let appOpenMetrics: AppUpstream | undefined;
let aggregator: AggregatorProcess | undefined;
let prometheus: Prometheus | undefined;
/** When the apps stopped changing their metrics (seconds since the epoch). */
let frozenAt = 0;
/** One instant, after every target was scraped again once frozen, at which every comparison queries. */
let comparedAt = 0;

beforeAll(async () => {
  requireBinary(PROMETHEUS_BIN);
  requireBinary(NODE_EXPORTER_BIN);
  // One after the other, so that afterAll knows everything that started when one of them fails.
  nodeExporter = await startNodeExporter();
  appText = await startAppUpstream(APP_TEXT, { openMetrics: false });
  appOpenMetrics = await startAppUpstream(APP_OPENMETRICS, { openMetrics: true });
  const upstreams = [
    { name: NODE, url: nodeExporter.url, target: nodeExporter.target },
    { name: APP_TEXT, url: appText.url, target: appText.target },
    { name: APP_OPENMETRICS, url: appOpenMetrics.url, target: appOpenMetrics.target },
  ];
  aggregator = await startAggregator(
    ['--port', '0', '--host', '127.0.0.1', '--upstream-timeout', '2s', '--shutdown-grace', '2s'],
    { METRICS_ENDPOINTS: JSON.stringify(Object.fromEntries(upstreams.map((u) => [u.name, u.url]))) },
  );
  prometheus = await Prometheus.start({
    jobs: [...upstreams, { name: AGGREGATOR_JOB, target: aggregator.target }],
  });
  const prom = prometheus;
  const jobs = [...upstreams.map((u) => u.name), AGGREGATOR_JOB];

  // Let Prometheus store moving values first, so that equal values later prove the freeze, not idleness.
  await prom.waitFor('two successful scrapes of every target', async () => {
    const ready = await prom.query('count_over_time(up[1m]) >= 2 and up == 1');
    return jobs.every((job) => ready.some((s) => s.labels.job === job)) ? true : undefined;
  });
  appText.freeze();
  appOpenMetrics.freeze();
  frozenAt = Date.now() / 1000;
  // Prometheus may stamp a scrape up to 2 ms before it starts (--scrape.adjust-timestamps): keep a margin.
  comparedAt = await prom.waitFor('a scrape of every target after the freeze', async () => {
    const scraped = await prom.query(`timestamp(up) > ${(frozenAt + 0.05).toFixed(3)}`);
    return jobs.every((job) => scraped.some((s) => s.labels.job === job)) ? Date.now() / 1000 : undefined;
  });
}, 30_000);

afterAll(async () => {
  // Prometheus first, so that no scrape is in flight when the aggregator gets SIGTERM.
  const failures: unknown[] = [];
  await prometheus?.stop().catch((error: unknown) => failures.push(error));
  const results = await Promise.allSettled([
    aggregator?.stop(),
    appText?.stop(),
    appOpenMetrics?.stop(),
    nodeExporter?.stop(),
  ]);
  for (const result of results) if (result.status === 'rejected') failures.push(result.reason);
  if (failures.length > 0) throw new Error(failures.map(String).join('\n'));
}, 30_000);

function prom(): Prometheus {
  if (!prometheus) throw new Error('Prometheus did not start: see the error of beforeAll');
  return prometheus;
}

/** A series as PromQL would select it, labels sorted: comparable, and readable in a failure. */
function keyOf(labels: Readonly<Record<string, string>>): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.keys(rest)
    .sort()
    .map((label) => `${label}=${JSON.stringify(rest[label])}`);
  return `${name}{${pairs.join(',')}}`;
}

/**
 * The labels a directly scraped series must have when it comes through the aggregator: its own
 * labels plus the origin label; a scraped label of that name moves to `exported_<name>`, as
 * Prometheus moves a conflicting target label under `honor_labels: false`.
 */
function throughAggregator(labels: Readonly<Record<string, string>>, origin: string): Record<string, string> {
  const own: Record<string, string> = withoutTargetLabels(labels);
  const moved = own[ORIGIN_LABEL];
  if (moved) {
    delete own[ORIGIN_LABEL];
    let name = `exported_${ORIGIN_LABEL}`;
    while (own[name]) name = `exported_${name}`;
    own[name] = moved;
  }
  return { ...own, [ORIGIN_LABEL]: origin };
}

function withoutTargetLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const { job: _job, instance: _instance, ...own } = labels;
  return own;
}

function sameValue(a: string, b: string): boolean {
  return a === b || (Number.isNaN(Number(a)) && Number.isNaN(Number(b)));
}

/** The samples of one upstream at `time`: scraped directly, and through the aggregator (keyed as expected there). */
async function bothWays(
  origin: string,
  time = comparedAt,
): Promise<{
  direct: Map<string, PromSample>;
  aggregated: Map<string, PromSample>;
}> {
  const [directSamples, aggregatedSamples] = await Promise.all([
    prom().query(`{job="${origin}"}`, time),
    prom().query(`{job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${origin}"}`, time),
  ]);
  const direct = new Map<string, PromSample>();
  for (const sample of directSamples) {
    if (SCRAPE_SERIES.has(sample.labels.__name__)) continue;
    direct.set(keyOf(throughAggregator(sample.labels, origin)), sample);
  }
  const aggregated = new Map<string, PromSample>();
  for (const sample of aggregatedSamples) aggregated.set(keyOf(withoutTargetLabels(sample.labels)), sample);
  return { direct, aggregated };
}

describe('a real Prometheus scraping the upstreams directly and through the aggregator', () => {
  it.each([APP_TEXT, APP_OPENMETRICS])(
    'stores every series of the prom-client app %s through the aggregator, with the same value and the origin label',
    async (origin) => {
      const { direct, aggregated } = await bothWays(origin);
      // Not a vacuous comparison: the escaping cases and the moved origin label were stored directly.
      const directNames = [...direct.values()].map((s) => s.labels);
      for (const value of ODD_LABEL_VALUES) {
        expect(directNames).toContainEqual(
          expect.objectContaining({ __name__: 'odd_label_value_info', value }),
        );
      }
      expect(directNames).toContainEqual(
        expect.objectContaining({ __name__: 'app_build_info', [ORIGIN_LABEL]: 'set-by-the-app' }),
      );
      expect(direct.size).toBeGreaterThan(50);

      const problems: string[] = [];
      for (const [key, sample] of direct) {
        const through = aggregated.get(key);
        if (!through) problems.push(`missing through the aggregator: ${key}`);
        else if (!sameValue(sample.value, through.value)) {
          problems.push(`${key}: ${sample.value} directly, ${through.value} through the aggregator`);
        }
      }
      for (const key of aggregated.keys()) {
        if (!direct.has(key)) problems.push(`only through the aggregator: ${key}`);
      }
      expect(problems).toEqual([]);

      // The values did move before the freeze: equal values are the freeze's doing.
      const changes = await prom().scalar(
        `sum(changes(http_requests_total{job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${origin}"}[1m]))`,
        comparedAt,
      );
      expect(changes).toBeGreaterThan(0);
    },
  );

  it('stores every series of node_exporter through the aggregator, with the same value where it holds still', async () => {
    const { direct, aggregated } = await bothWays(NODE);
    expect(direct.size).toBeGreaterThan(20);
    const problems: string[] = [];
    let comparedValues = 0;
    for (const [key, sample] of direct) {
      const through = aggregated.get(key);
      if (!through) {
        problems.push(`missing through the aggregator: ${key}`);
      } else if (NODE_STABLE_METRICS.has(sample.labels.__name__)) {
        comparedValues++;
        if (!sameValue(sample.value, through.value)) {
          problems.push(`${key}: ${sample.value} directly, ${through.value} through the aggregator`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(comparedValues).toBeGreaterThan(5);
  });

  it('stores at least as many series through the aggregator as from all upstreams directly', async () => {
    const count = async (match: string) =>
      (await prom().series(match, frozenAt, comparedAt)).filter((s) => !SCRAPE_SERIES.has(s.__name__)).length;
    const direct = await Promise.all([NODE, APP_TEXT, APP_OPENMETRICS].map((job) => count(`{job="${job}"}`)));
    const aggregated = await count(`{job="${AGGREGATOR_JOB}"}`);
    expect(direct.every((n) => n > 0)).toBe(true);
    expect(aggregated).toBeGreaterThanOrEqual(direct.reduce((a, b) => a + b, 0));
  });

  it('answers Prometheus in OpenMetrics, without falling back to text', async () => {
    const self = `job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${SELF_ORIGIN}"`;
    expect(await prom().scalar(`up{job="${AGGREGATOR_JOB}"}`, comparedAt)).toBe(1);
    const openMetrics = await prom().scalar(
      `sum(metrics_aggregator_scrapes_total{${self},format="openmetrics",code="200"})`,
      comparedAt,
    );
    expect(openMetrics).toBeGreaterThan(0);
    expect(
      await prom().scalar(`sum(metrics_aggregator_scrapes_total{${self},format!="openmetrics"})`, comparedAt),
    ).toBe(undefined);
    expect(await prom().scalar(`metrics_aggregator_format_fallbacks_total{${self}}`, comparedAt)).toBe(0);
  });

  it('keeps the aggregator target up while an upstream is down, and reports that upstream down', async () => {
    const p = prom();
    const self = `job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${SELF_ORIGIN}"`;
    const refused = `metrics_aggregator_upstream_errors_total{${self},upstream="${APP_TEXT}",reason="refused"}`;
    const refusedBefore = await p.scalar(refused);
    expect(refusedBefore).toBe(0);
    const openMetricsSeries = (await bothWays(APP_OPENMETRICS, Date.now() / 1000)).aggregated.size;

    await appText?.stop();
    const stoppedAt = Date.now() / 1000;
    await p.waitFor(
      'three scrapes of the aggregator after the upstream stopped',
      async () => {
        const last = await p.scalar(`timestamp(up{job="${AGGREGATOR_JOB}"})`);
        return last !== undefined && last > stoppedAt + 3 ? true : undefined;
      },
      10_000,
    );
    const now = Date.now() / 1000;
    const windowMs = Math.floor((now - stoppedAt) * 1000) - 100;
    const since = `[${windowMs}ms]`;

    expect(await p.scalar(`max_over_time(up{job="${APP_TEXT}"}${since})`, now)).toBe(0);
    expect(
      await p.scalar(`count_over_time(up{job="${AGGREGATOR_JOB}"}${since})`, now),
    ).toBeGreaterThanOrEqual(3);
    expect(await p.scalar(`min_over_time(up{job="${AGGREGATOR_JOB}"}${since})`, now)).toBe(1);
    expect(await p.scalar(`metrics_aggregator_upstream_up{${self},upstream="${APP_TEXT}"}`, now)).toBe(0);
    expect(await p.scalar(`metrics_aggregator_upstream_up{${self},upstream="${APP_OPENMETRICS}"}`, now)).toBe(
      1,
    );
    expect(await p.scalar(`metrics_aggregator_upstream_up{${self},upstream="${NODE}"}`, now)).toBe(1);
    expect(await p.scalar(refused, now)).toBeGreaterThan(refusedBefore ?? 0);

    // The others keep arriving: every series of theirs was stored again, more than once, since the stop...
    for (const origin of [APP_OPENMETRICS, NODE]) {
      const current = await p.query(`{job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${origin}"}`, now);
      const sinceStop = await p.samples(
        `{job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${origin}"}`,
        windowMs,
        now,
      );
      const notRefreshed = current
        .map((s) => keyOf(s.labels))
        .filter((key) => {
          const stored = sinceStop.find((series) => keyOf(series.labels) === key);
          return (stored?.points.filter((point) => point.time > stoppedAt).length ?? 0) < 2;
        });
      expect(notRefreshed).toEqual([]);
      expect(current.length).toBeGreaterThan(0);
    }
    expect((await bothWays(APP_OPENMETRICS, now)).aggregated.size).toBe(openMetricsSeries);
    // ...while those of the stopped upstream were marked stale rather than repeated.
    expect(await p.query(`{job="${AGGREGATOR_JOB}",${ORIGIN_LABEL}="${APP_TEXT}"}`, now)).toEqual([]);
  });
});

describe('the Prometheus test helpers', () => {
  it('fails, not skips, with the command that installs a missing binary', () => {
    expect(() => requireBinary('/nonexistent/prometheus')).toThrow(
      /\/nonexistent\/prometheus is missing.*apt-get install prometheus prometheus-node-exporter/,
    );
  });
});
