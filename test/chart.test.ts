import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseMetricsEndpoints } from '../aggregator/src/config/metrics-endpoints';
import {
  APP_CHART,
  CHARTS_DIR,
  ChartsCopy,
  helm,
  metricsEndpointsOf,
  parseManifests,
  yamllint,
} from './support/helm';
import { k8sValidateYaml, validationErrors } from './support/k8s-validate';
import type { Manifest } from './support/wiring';

const repoRoot = resolve(__dirname, '..');
const chartDir = join(CHARTS_DIR, APP_CHART);
const ciDir = join(chartDir, 'ci');
const CI_FILES = readdirSync(ciDir)
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();
const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const readmeGenerator = join(repoRoot, 'node_modules', '.bin', 'readme-generator');

/** The kinds each ci values file renders, in Helm's order (by kind, then file). */
const KINDS: Record<string, string[]> = {
  'istio-metrics-merge-values.yaml': ['Deployment', 'PeerAuthentication', 'PodMonitor'],
  'port-level-exception-values.yaml': ['Deployment', 'PeerAuthentication', 'PodMonitor'],
  'no-mesh-values.yaml': ['Deployment', 'PodMonitor'],
  'optional-features-values.yaml': [
    'NetworkPolicy',
    'Service',
    'Deployment',
    'PeerAuthentication',
    'PodMonitor',
  ],
};

/** The seed scenario, as the ci values files declare it, with one change. */
function seedValues(change: Record<string, unknown>): string {
  const seed = parseAllDocuments(readFileSync(join(ciDir, 'no-mesh-values.yaml'), 'utf8'))[0].toJS();
  return JSON.stringify({ ...seed, ...change });
}

describe('the metrics-aggregator chart (charts/metrics-aggregator)', () => {
  let charts: ChartsCopy;
  const rendered = new Map<string, Manifest[]>();
  const yamlOf = new Map<string, string>();

  beforeAll(() => {
    charts = new ChartsCopy();
    for (const file of CI_FILES) {
      const yaml = charts.template(APP_CHART, ['-f', join(ciDir, file)]);
      yamlOf.set(file, yaml);
      rendered.set(file, parseManifests(yaml));
    }
  });

  afterAll(() => charts?.remove());

  it('has a ci values file per scrape mode, and one with every optional object', () => {
    expect(CI_FILES).toEqual(Object.keys(KINDS).sort());
  });

  it('is the package version as chart and app version, and runs the image of that tag by default', () => {
    const chart = parseAllDocuments(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))[0].toJS();
    expect([chart.apiVersion, chart.version, chart.appVersion]).toEqual(['v2', version, version]);
    const lib = parseAllDocuments(
      readFileSync(join(CHARTS_DIR, 'metrics-aggregator-lib', 'Chart.yaml'), 'utf8'),
    )[0].toJS();
    expect([lib.apiVersion, lib.type, lib.version, lib.appVersion]).toEqual([
      'v2',
      'library',
      version,
      version,
    ]);
    const [deployment] = (rendered.get('no-mesh-values.yaml') ?? []).filter((m) => m.kind === 'Deployment');
    const sidecar = deployment.spec.template.spec.containers.find(
      (c: Manifest) => c.name === 'metrics-aggregator',
    );
    expect(sidecar.image).toBe(`ghcr.io/metrics-aggregator/metrics-aggregator:${version}`);
  });

  it.each(CI_FILES)('passes helm lint --strict with ci/%s', (file) => {
    helm(['lint', '--strict', charts.path(APP_CHART), '-f', join(ciDir, file)]);
  });

  it('passes yamllint on every plain YAML file of the charts (templates are checked rendered)', () => {
    const listed = yamllint(['--list-files', '.'], CHARTS_DIR);
    expect(listed.stdout).toContain('metrics-aggregator/values.yaml');
    expect(listed.stdout).toContain('metrics-aggregator/ci/no-mesh-values.yaml');
    expect(listed.stdout).not.toContain('/templates/');
    const lint = yamllint(['--strict', '--format', 'parsable', '.'], CHARTS_DIR);
    expect(lint.stdout).toBe('');
    expect(lint.ok).toBe(true);
  });

  describe.each(CI_FILES)('rendered with ci/%s', (file) => {
    it('emits only objects Kubernetes accepts: strict decoding, CRD schemas and CEL rules, Pod Security "restricted"', () => {
      const results = k8sValidateYaml(yamlOf.get(file) ?? '');
      expect(validationErrors(results)).toEqual([]);
      expect(results.map((r) => r.kind)).toEqual(KINDS[file]);
      for (const r of results) expect(r.namespace).toBe('shop');
    });

    it('gives the sidecar a METRICS_ENDPOINTS the aggregator’s own parser reads as api and worker over localhost', () => {
      const value = metricsEndpointsOf(rendered.get(file) ?? []);
      expect(parseMetricsEndpoints(value).map((u) => [u.name, u.url])).toEqual([
        ['api', 'http://localhost:8080/metrics'],
        ['worker', 'http://localhost:9100/metrics'],
      ]);
    });

    it('labels every object with the standard app.kubernetes.io labels', () => {
      for (const m of rendered.get(file) ?? []) {
        expect(m.metadata.labels).toMatchObject({
          'app.kubernetes.io/name': 'metrics-aggregator',
          'app.kubernetes.io/instance': 'shop',
          'app.kubernetes.io/version': version,
          'app.kubernetes.io/managed-by': 'Helm',
          'helm.sh/chart': `metrics-aggregator-${version}`,
        });
      }
    });
  });

  describe('with every optional object (ci/optional-features-values.yaml)', () => {
    const objects = () => rendered.get('optional-features-values.yaml') ?? [];
    const ofKind = (kind: string) => objects().find((m) => m.kind === kind) as Manifest;

    it('runs the aggregator as a native sidecar: an init container with restartPolicy Always', () => {
      const pod = ofKind('Deployment').spec.template.spec;
      expect(pod.containers.map((c: Manifest) => c.name)).toEqual(['api', 'worker']);
      expect(pod.initContainers.map((c: Manifest) => [c.name, c.restartPolicy])).toEqual([
        ['metrics-aggregator', 'Always'],
      ]);
    });

    it('passes the settings that are not the defaults, and only those, as METRICS_AGGREGATOR_* variables', () => {
      const [sidecar] = ofKind('Deployment').spec.template.spec.initContainers;
      expect(sidecar.env.map((e: Manifest) => [e.name, e.value]).slice(1)).toEqual([
        ['METRICS_AGGREGATOR_PORT', '9191'],
        ['METRICS_AGGREGATOR_ORIGIN_LABEL', 'container'],
        ['METRICS_AGGREGATOR_UPSTREAM_TIMEOUT', '5s'],
      ]);
    });

    it('emits the PeerAuthentication with the overridden API version, its exception on the chosen port', () => {
      const peer = ofKind('PeerAuthentication');
      expect(peer.apiVersion).toBe('security.istio.io/v1beta1');
      expect(peer.spec.portLevelMtls).toEqual({ '9191': { mode: 'PERMISSIVE' } });
    });

    it('admits only the monitoring namespace to the aggregator port, beside the extra rules given', () => {
      const policy = ofKind('NetworkPolicy');
      expect(policy.spec.ingress).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: 9191, protocol: 'TCP' }],
        },
        { ports: [{ port: 8080, protocol: 'TCP' }] },
      ]);
    });

    it('labels the PodMonitor for the Prometheus that selects release=prometheus, at the interval given', () => {
      const podMonitor = ofKind('PodMonitor');
      expect(podMonitor.metadata.labels.release).toBe('prometheus');
      expect(podMonitor.spec.podMetricsEndpoints[0].interval).toBe('30s');
    });
  });

  it('admits the monitoring namespace to pilot-agent’s port 15020 in istio-metrics-merge mode', () => {
    const yaml = charts.template(APP_CHART, [
      '-f',
      join(ciDir, 'istio-metrics-merge-values.yaml'),
      '--set',
      'networkPolicy.enabled=true',
    ]);
    const policy = parseManifests(yaml).find((m) => m.kind === 'NetworkPolicy') as Manifest;
    expect(policy.spec.ingress[0].ports).toEqual([{ port: 15020, protocol: 'TCP' }]);
  });

  it('tells, after install, how to see the merged metrics of a pod (NOTES.txt)', () => {
    // helm template leaves NOTES.txt out: render it as a named template inside a YAML string.
    const templates = join(charts.path(APP_CHART), 'templates');
    const notes = readFileSync(join(templates, 'NOTES.txt'), 'utf8');
    writeFileSync(join(templates, '_notes-test.tpl'), `{{- define "notes-test" -}}\n${notes}{{- end -}}\n`);
    writeFileSync(join(templates, 'notes-test.yaml'), 'notes: {{ include "notes-test" . | toJson }}\n');
    let text: string;
    try {
      const yaml = charts.template(APP_CHART, [
        '-f',
        join(ciDir, 'istio-metrics-merge-values.yaml'),
        '--show-only',
        'templates/notes-test.yaml',
      ]);
      text = parseAllDocuments(yaml)[0].toJS().notes;
    } finally {
      rmSync(join(templates, '_notes-test.tpl'));
      rmSync(join(templates, 'notes-test.yaml'));
    }
    expect(text).toContain('metrics of api worker on port 9090');
    expect(text).toContain('kubectl -n shop port-forward deployment/shop-metrics-aggregator 9090:9090 &');
    expect(text).toContain('curl -s localhost:9090/metrics');
    expect(text).toContain('-c istio-proxy -- curl -s localhost:15020/stats/prometheus');
  });

  describe('refuses values that cannot work, naming the value', () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown key', ['--set', 'replicaCount=2'], /additional properties 'replicaCount' not allowed/],
      ['a value of the wrong type', ['--set', 'port=http'], /at '\/port': got string, want integer/],
      ['an unknown mode', ['--set', 'mode=ambient'], /at '\/mode': value must be one of/],
      [
        'an unknown key in a container’s metrics',
        ['--set', 'containers[0].metrics.url=x'],
        /'\/containers\/0\/metrics': additional properties 'url' not allowed/,
      ],
      [
        'no containers',
        ['--set-json', 'containers=[]'],
        /containers is empty; declare at least one container/,
      ],
      [
        'no container with metrics',
        [
          '--set-json',
          `containers=${JSON.stringify([{ name: 'api', image: 'api:1', ports: [{ containerPort: 8080 }] }])}`,
        ],
        /no container of containers has metrics set/,
      ],
      [
        'a metrics port the container does not declare',
        ['--set', 'containers[1].metrics.port=9200'],
        /containers\[1\] \(worker\): metrics\.port 9200 is not one of the container's ports \(it declares: worker-metrics=9100\)/,
      ],
      [
        'a metrics port name the container does not declare',
        ['--set-json', 'containers[1].metrics={"portName":"metrics"}'],
        /containers\[1\] \(worker\): metrics\.portName "metrics" is not one of the container's ports/,
      ],
      [
        'a container’s metrics without port or portName',
        ['--set-json', 'containers[1].metrics={"path":"/metrics"}'],
        /containers\[1\] \(worker\): metrics needs port or portName/,
      ],
      [
        'a STRICT PeerAuthentication with the plain-HTTP PodMonitor of no-mesh',
        ['--set', 'peerAuthentication.enabled=true'],
        /peerAuthentication\.enabled: true with mode: no-mesh would make the pod STRICT/,
      ],
      [
        'an aggregator port a container uses',
        ['--set', 'port=8080'],
        /containers\[0\] \(api\): port 8080 clashes with the aggregator's port/,
      ],
      [
        'an aggregator port Istio uses, in a mesh mode',
        ['--set', 'mode=port-level-exception', '--set', 'port=15020'],
        /port 15020 is one Istio's sidecar listens on/,
      ],
      [
        'a container named like the sidecar',
        ['--set', 'containers[0].name=metrics-aggregator'],
        /containers\[0\] \(metrics-aggregator\): the name metrics-aggregator is the sidecar's/,
      ],
    ];

    it.each(cases)('rejects %s', (_, args, message) => {
      const error = charts.templateError(APP_CHART, ['-f', join(ciDir, 'no-mesh-values.yaml'), ...args]);
      expect(error).toMatch(message);
    });

    it('rejects a values file with a misspelt key, through values.schema.json', () => {
      const file = join(charts.dir, 'misspelt-values.yaml');
      writeFileSync(file, seedValues({ podMonitor: { enable: false } }));
      const error = charts.templateError(APP_CHART, ['-f', file]);
      expect(error).toMatch(/at '\/podMonitor': additional properties 'enable' not allowed/);
    });
  });

  it('has a README whose parameters table is what readme-generator-for-helm makes of values.yaml', () => {
    const readme = join(charts.path(APP_CHART), 'README.md');
    const committed = readFileSync(join(chartDir, 'README.md'), 'utf8');
    writeFileSync(readme, committed);
    const outcome = spawnSync(
      readmeGenerator,
      ['--values', join(chartDir, 'values.yaml'), '--readme', readme],
      { encoding: 'utf8' },
    );
    if (outcome.status !== 0) {
      throw new Error(`readme-generator failed (npm ci installs it): ${outcome.stderr || outcome.error}`);
    }
    if (readFileSync(readme, 'utf8') !== committed) {
      throw new Error(
        'charts/metrics-aggregator/README.md is stale: run `npx readme-generator -v charts/metrics-aggregator/values.yaml -r charts/metrics-aggregator/README.md` and commit it',
      );
    }
  });
});
