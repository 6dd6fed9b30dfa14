// The chart and the constructs are two channels of one wiring: for the seed scenario in each scrape
// mode, what they emit must be the same sidecar, pod annotations, PodMonitor endpoints and
// PeerAuthentication spec. A difference is a bug in one of them.
import { join } from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import { MetricsAggregatedDeployment, MetricsEndpoint, ScrapeMode } from '../constructs/src';
import { APP_CHART, CHARTS_DIR, ChartsCopy, CONSUMER_CHART, parseManifests } from './support/helm';
import { MODES, type ModeName, seedFromConstructs, wiringOf } from './support/wiring';

const MODE_NAMES = Object.keys(MODES) as ModeName[];

describe('the charts wire the seed scenario as the constructs do', () => {
  let charts: ChartsCopy;

  beforeAll(() => {
    charts = new ChartsCopy();
  });

  afterAll(() => charts?.remove());

  describe.each(MODE_NAMES)('in %s mode', (mode) => {
    const expected = () => wiringOf(seedFromConstructs(mode));

    it('charts/metrics-aggregator emits the constructs’ wiring', () => {
      const values = join(CHARTS_DIR, APP_CHART, 'ci', `${mode}-values.yaml`);
      expect(wiringOf(parseManifests(charts.template(APP_CHART, ['-f', values])))).toEqual(expected());
    });

    it('the library, used by a chart, emits the constructs’ wiring', () => {
      const values = join(CHARTS_DIR, CONSUMER_CHART, 'ci', `${mode}-values.yaml`);
      expect(wiringOf(parseManifests(charts.template(CONSUMER_CHART, ['-f', values])))).toEqual(expected());
    });
  });

  it('with every aggregator option off its default, emits the constructs’ wiring with the same options', () => {
    const chart = new Chart(Testing.app(), 'options', { namespace: 'shop' });
    new MetricsAggregatedDeployment(chart, 'shop', {
      mode: ScrapeMode.portLevelException(),
      port: 9191,
      originLabel: 'container',
      upstreamTimeout: Duration.seconds(5),
      scrapeInterval: Duration.seconds(30),
      nativeSidecar: true,
      containers: [
        {
          name: 'api',
          image: 'ghcr.io/example/api:1.4.2',
          ports: [{ number: 8080, name: 'http' }],
          metrics: MetricsEndpoint.fromPort(8080),
        },
        {
          name: 'worker',
          image: 'ghcr.io/example/worker:1.4.2',
          ports: [{ number: 9100, name: 'worker-metrics' }],
          metrics: MetricsEndpoint.fromPortName('worker-metrics'),
        },
      ],
    });
    const values = join(CHARTS_DIR, APP_CHART, 'ci', 'port-level-exception-values.yaml');
    const options = [
      ['port', '9191'],
      ['originLabel', 'container'],
      ['upstreamTimeout', '5000ms'],
      ['podMonitor.interval', '30s'],
      ['nativeSidecar', 'true'],
      ['containers[1].metrics.portName', 'worker-metrics'],
    ].flatMap(([key, value]) => ['--set', `${key}=${value}`]);
    const rendered = parseManifests(
      charts.template(APP_CHART, ['-f', values, '--set-json', 'containers[1].metrics={}', ...options]),
    );
    expect(wiringOf(rendered)).toEqual(wiringOf(Testing.synth(chart)));
  });
});
