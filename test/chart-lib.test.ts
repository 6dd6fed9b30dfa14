import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetricsEndpoints } from '../aggregator/src/config/metrics-endpoints';
import { version } from '../package.json';
import {
  CHARTS_DIR,
  ChartsCopy,
  CONSUMER_CHART,
  helm,
  metricsEndpointsOf,
  parseManifests,
} from './support/helm';
import { k8sValidateYaml, validationErrors } from './support/k8s-validate';
import type { Manifest } from './support/wiring';

const ciDir = join(CHARTS_DIR, CONSUMER_CHART, 'ci');
const CI_FILES = readdirSync(ciDir)
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();
const KINDS: Record<string, string[]> = {
  'istio-metrics-merge-values.yaml': ['Deployment', 'PeerAuthentication', 'PodMonitor'],
  'port-level-exception-values.yaml': ['Deployment', 'PeerAuthentication', 'PodMonitor'],
  'no-mesh-values.yaml': ['Deployment', 'PodMonitor'],
};

describe('the metrics-aggregator-lib library chart, through a chart that uses it (ci/consumer)', () => {
  let charts: ChartsCopy;
  const yamlOf = new Map<string, string>();

  beforeAll(() => {
    charts = new ChartsCopy();
    for (const file of CI_FILES) yamlOf.set(file, charts.template(CONSUMER_CHART, ['-f', join(ciDir, file)]));
  });

  afterAll(() => charts?.remove());

  it('has a ci values file per scrape mode', () => {
    expect(CI_FILES).toEqual(Object.keys(KINDS).sort());
  });

  it('is a library chart, which Helm refuses to render alone', () => {
    const error = charts.templateError('metrics-aggregator-lib');
    expect(error).toMatch(/library charts are not installable/);
  });

  it.each(CI_FILES)('passes helm lint --strict, with the consumer, with ci/%s', (file) => {
    helm(['lint', '--strict', charts.path(CONSUMER_CHART), '-f', join(ciDir, file)]);
    helm(['lint', '--strict', charts.path('metrics-aggregator-lib')]);
  });

  describe.each(CI_FILES)('rendered with ci/%s', (file) => {
    it('emits only objects Kubernetes accepts: strict decoding, CRD schemas and CEL rules, Pod Security "restricted"', () => {
      const results = k8sValidateYaml(yamlOf.get(file) ?? '');
      expect(validationErrors(results)).toEqual([]);
      expect(results.map((r) => r.kind)).toEqual(KINDS[file]);
    });

    it('gives the sidecar a METRICS_ENDPOINTS the aggregator’s own parser reads as api and worker over localhost', () => {
      const value = metricsEndpointsOf(parseManifests(yamlOf.get(file) ?? ''));
      expect(parseMetricsEndpoints(value).map((u) => [u.name, u.url])).toEqual([
        ['api', 'http://localhost:8080/metrics'],
        ['worker', 'http://localhost:9100/metrics'],
      ]);
    });

    it('leaves the library’s `metrics` key out of the containers it renders', () => {
      const [deployment] = parseManifests(yamlOf.get(file) ?? '').filter((m) => m.kind === 'Deployment');
      for (const c of deployment.spec.template.spec.containers as Manifest[])
        expect(c).not.toHaveProperty('metrics');
    });
  });

  it('runs the image of the package version by default, as the constructs do', () => {
    const [deployment] = parseManifests(yamlOf.get('no-mesh-values.yaml') ?? '').filter(
      (m) => m.kind === 'Deployment',
    );
    const sidecar = deployment.spec.template.spec.containers.find(
      (c: Manifest) => c.name === 'metrics-aggregator',
    );
    expect(sidecar.image).toBe(`ghcr.io/metrics-aggregator/metrics-aggregator:${version}`);
  });

  it('names the caller’s values in its messages', () => {
    const error = charts.templateError(CONSUMER_CHART, [
      '-f',
      join(ciDir, 'no-mesh-values.yaml'),
      '--set',
      'metricsAggregator.peerAuthentication.enabled=true',
    ]);
    expect(error).toMatch(
      /metricsAggregator\.peerAuthentication\.enabled: true with metricsAggregator\.mode: no-mesh would make the pod STRICT/,
    );
  });

  it('keeps an explicit false (podMonitor.enabled: false emits no PodMonitor)', () => {
    const yaml = charts.template(CONSUMER_CHART, [
      '-f',
      join(ciDir, 'port-level-exception-values.yaml'),
      '--set',
      'metricsAggregator.podMonitor.enabled=false',
      '--set',
      'metricsAggregator.peerAuthentication.enabled=false',
    ]);
    expect(parseManifests(yaml).map((m) => m.kind)).toEqual(['Deployment']);
  });
});
