// The chart and the constructs are two channels of one wiring: for the seed scenario in each scrape
// mode, what they emit must be the same sidecar, pod annotations, PodMonitor endpoints and
// PeerAuthentication spec. A difference is a bug in one of them.
import { join } from 'node:path';
import { Duration } from 'cdk8s';
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
    // The worker's endpoint by port name in the chart, by number in the constructs: one URL either way.
    const constructs = seedFromConstructs('port-level-exception', {
      port: 9191,
      originLabel: 'container',
      upstreamTimeout: Duration.seconds(5),
      scrapeInterval: Duration.seconds(30),
      nativeSidecar: true,
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
    expect(wiringOf(rendered)).toEqual(wiringOf(constructs));
  });
});
