import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Yaml } from 'cdk8s';
import { parseMetricsEndpoints } from '../aggregator/src/config/metrics-endpoints';
import { firstDifference } from './support/first-difference';
import { k8sValidate, validationErrors } from './support/k8s-validate';

const repoRoot = resolve(__dirname, '..');
const cdk8s = join(repoRoot, 'node_modules', '.bin', 'cdk8s');
const updateScript = join(repoRoot, 'examples', 'update-deployment.sh');
const committedDeployment = join(repoRoot, 'examples', 'deployment.yaml');
const STALE =
  'examples/deployment.yaml is out of date: run `bash examples/update-deployment.sh` and commit examples/deployment.yaml.';

// cdk8s-cli reads CDK8S_* variables as options: the test must see what cdk8s.yaml says, nothing else.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CDK8S_')));

/** What the test reads of a synthesized object. */
interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec: {
    readonly template?: {
      readonly spec: {
        readonly containers: { readonly name: string; readonly env?: { name: string; value: string }[] }[];
      };
    };
  };
}

/** Each chart of examples/cdk8s/main.ts and the kinds it emits, in order. */
const CHARTS: [string, string[]][] = [
  ['istio-metrics-merge', ['Deployment', 'PodMonitor', 'PeerAuthentication']],
  ['port-level-exception', ['Deployment', 'PodMonitor', 'PeerAuthentication']],
  ['no-mesh', ['Deployment', 'PodMonitor']],
  ['attach-existing', ['Deployment', 'PodMonitor', 'PeerAuthentication']],
];

describe('the cdk8s examples (examples/cdk8s), synthesized by `cdk8s synth` as cdk8s.yaml configures it', () => {
  let work: string;
  let dist: string;
  const manifests = new Map<string, Manifest[]>();
  const manifestsOf = (chart: string): Manifest[] => manifests.get(chart) ?? [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'examples-'));
    dist = join(work, 'dist');
    // From the repository root, where cdk8s.yaml names the app; offline (no npm version check).
    execFileSync(cdk8s, ['synth', '--no-check-upgrade', '--output', dist], {
      cwd: repoRoot,
      env,
      stdio: 'pipe',
    });
    for (const [chart] of CHARTS) {
      const file = join(dist, `${chart}.k8s.yaml`);
      if (existsSync(file)) manifests.set(chart, Yaml.load(file));
    }
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes one manifest per chart: one per scrape mode, and one attaching to an existing Deployment', () => {
    expect(readdirSync(dist).sort()).toEqual(CHARTS.map(([chart]) => `${chart}.k8s.yaml`).sort());
  });

  it('emits only objects Kubernetes accepts: strict decoding, CRD schemas and CEL rules, Pod Security "restricted"', () => {
    const results = k8sValidate(CHARTS.map(([chart]) => join(dist, `${chart}.k8s.yaml`)));
    expect(validationErrors(results)).toEqual([]);
    expect(results).toHaveLength(CHARTS.flatMap(([, kinds]) => kinds).length);
  });

  describe.each(CHARTS)('chart %s', (chart, kinds) => {
    it('emits the objects of its scrape mode, in namespace shop', () => {
      const objects = manifestsOf(chart);
      expect(objects.map((m) => m.kind)).toEqual(kinds);
      for (const m of objects) expect(m.metadata.namespace).toBe('shop');
    });

    it('labels the PodMonitor for the Prometheus that selects release=prometheus', () => {
      const [podMonitor] = manifestsOf(chart).filter((m) => m.kind === 'PodMonitor');
      expect(podMonitor.metadata.labels).toEqual({ release: 'prometheus' });
    });

    it('gives the sidecar a METRICS_ENDPOINTS the aggregator’s own parser reads as api and worker over localhost', () => {
      const [deployment] = manifestsOf(chart).filter((m) => m.kind === 'Deployment');
      const sidecar = deployment.spec.template?.spec.containers.find((c) => c.name === 'metrics-aggregator');
      const value = sidecar?.env?.find((e) => e.name === 'METRICS_ENDPOINTS')?.value;
      if (value === undefined) throw new Error(`${chart}: the sidecar has no METRICS_ENDPOINTS`);
      expect(parseMetricsEndpoints(value).map((u) => [u.name, u.url])).toEqual([
        ['api', 'http://localhost:8080/metrics'],
        ['worker', 'http://localhost:9100/metrics'],
      ]);
    });
  });

  it('examples/deployment.yaml is the istio-metrics-merge chart as examples/update-deployment.sh writes it', () => {
    const regenerated = join(work, 'deployment.yaml');
    execFileSync('bash', [updateScript, regenerated], { env, stdio: 'pipe' });
    const fresh = readFileSync(regenerated, 'utf8');
    // The script and this test's synth agree: the committed file is the chart under a header.
    expect(fresh.endsWith(readFileSync(join(dist, 'istio-metrics-merge.k8s.yaml'), 'utf8'))).toBe(true);
    if (!existsSync(committedDeployment)) throw new Error(`${STALE}\n  it is missing`);
    const committed = readFileSync(committedDeployment, 'utf8');
    if (committed !== fresh) throw new Error(`${STALE}\n  differs at ${firstDifference(fresh, committed)}`);
  });
});
