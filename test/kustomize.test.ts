import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseMetricsEndpoints } from '../aggregator/src/config/metrics-endpoints';
import { DEFAULT_IMAGE } from '../constructs/src/defaults';
import { k8sValidateYaml, validationErrors } from './support/k8s-validate';
import { type Built, fixture, kustomizeBuild, repoRoot, resolveConfigMapRefs } from './support/kustomize';
import type { Manifest } from './support/wiring';

const kustomizeDir = join(repoRoot, 'kustomize');
const components = join(kustomizeDir, 'components');
const { version } = JSON.parse(readFileSync(join(repoRoot, 'constructs', 'package.json'), 'utf8'));

/** Each overlay of kustomize/overlays and the example, with the kinds they render, in kustomize's order. */
const BUILDS: [string, string[]][] = [
  ['kustomize/overlays/istio-metrics-merge', ['ConfigMap', 'Deployment', 'PodMonitor', 'PeerAuthentication']],
  [
    'kustomize/overlays/port-level-exception',
    ['ConfigMap', 'Deployment', 'PodMonitor', 'PeerAuthentication'],
  ],
  ['kustomize/overlays/no-mesh', ['ConfigMap', 'Deployment', 'PodMonitor']],
  ['kustomize/overlays/native-sidecar', ['ConfigMap', 'Deployment', 'PodMonitor', 'PeerAuthentication']],
  ['examples/kustomize', ['ConfigMap', 'Deployment', 'PodMonitor', 'PeerAuthentication']],
];

const SIDECAR = 'metrics-aggregator';
const MARK = { 'metrics-aggregator.io/inject': 'true' };

function podOf(manifests: readonly Manifest[], name: string): Manifest {
  const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === name);
  if (!deployment) throw new Error(`no Deployment ${name} in the build`);
  return deployment.spec.template.spec;
}

function sidecarsOf(pod: Manifest): Manifest[] {
  return [...(pod.containers ?? []), ...(pod.initContainers ?? [])].filter((c) => c.name === SIDECAR);
}

/** A Deployment of one container, marked for the component or not, as YAML. */
function deployment(name: string, marked: boolean): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(marked ? { annotations: MARK } : {}) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'app', image: 'ghcr.io/example/app:1', ports: [{ containerPort: 8080 }] }],
        },
      },
    },
  });
}

/** A kustomization as YAML (JSON is YAML), its paths to components relative to `dir` in the fixture. */
function kustomization(fixtureDir: string, dir: string, body: Record<string, unknown>): string {
  const componentsOf = (body.components as string[] | undefined)?.map((c) =>
    relative(join(fixtureDir, dir), join(components, c)),
  );
  return JSON.stringify({ ...body, ...(componentsOf ? { components: componentsOf } : {}) });
}

const ENDPOINTS = { name: SIDECAR, literals: ['METRICS_ENDPOINTS={"app":"http://localhost:8080/metrics"}'] };

describe.each(BUILDS)('kustomize build %s', (path, kinds) => {
  let built: Built;
  beforeAll(() => {
    built = kustomizeBuild(join(repoRoot, path));
  });

  it('renders the objects of its scrape mode, in namespace shop', () => {
    expect(built.manifests.map((m) => m.kind)).toEqual(kinds);
    for (const m of built.manifests) expect(m.metadata.namespace).toBe('shop');
  });

  it('renders only objects Kubernetes accepts: strict decoding, CRD schemas and CEL rules, Pod Security "restricted"', () => {
    const results = k8sValidateYaml(built.yaml);
    expect(validationErrors(results)).toEqual([]);
    expect(results).toHaveLength(kinds.length);
  });

  it('gives the sidecar a METRICS_ENDPOINTS the aggregator’s own parser reads as api and worker over localhost', () => {
    const [sidecar] = sidecarsOf(podOf(resolveConfigMapRefs(built.manifests), 'shop'));
    const value = sidecar.env.find((e: Manifest) => e.name === 'METRICS_ENDPOINTS')?.value;
    expect(parseMetricsEndpoints(value).map((u) => [u.name, u.url])).toEqual([
      ['api', 'http://localhost:8080/metrics'],
      ['worker', 'http://localhost:9100/metrics'],
    ]);
  });

  it('runs the image the constructs default to, tagged with the package version', () => {
    const [sidecar] = sidecarsOf(podOf(built.manifests, 'shop'));
    expect(sidecar.image).toBe(DEFAULT_IMAGE);
    expect(sidecar.image).toBe(`ghcr.io/metrics-aggregator/metrics-aggregator:${version}`);
  });

  it('selects the Deployment’s pods in its PodMonitor and PeerAuthentication', () => {
    const matchLabels = built.manifests.find((m) => m.kind === 'Deployment')?.spec.selector.matchLabels;
    for (const m of built.manifests.filter((o) => ['PodMonitor', 'PeerAuthentication'].includes(o.kind))) {
      expect(m.spec.selector).toEqual({ matchLabels });
    }
  });
});

describe('the kustomize tree', () => {
  it('writes the image tag in one place', () => {
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)],
      );
    })(kustomizeDir);
    const tagged = files.filter((f) =>
      readFileSync(f, 'utf8').includes('ghcr.io/metrics-aggregator/metrics-aggregator:'),
    );
    expect(tagged.map((f) => relative(repoRoot, f))).toEqual([
      'kustomize/components/internal/sidecar/sidecar.yaml',
    ]);
  });

  it('runs the sidecar as a native sidecar in overlays/native-sidecar: an init container with restartPolicy Always', () => {
    const pod = podOf(kustomizeBuild(join(kustomizeDir, 'overlays', 'native-sidecar')).manifests, 'shop');
    expect(pod.containers.map((c: Manifest) => c.name)).toEqual(['api', 'worker']);
    expect(pod.initContainers.map((c: Manifest) => [c.name, c.restartPolicy])).toEqual([[SIDECAR, 'Always']]);
  });
});

describe('components/metrics-aggregator in a user’s kustomization', () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => {
    for (const remove of cleanups) remove();
  });
  /** Builds `dir` of a fixture made of `files`, where kustomization bodies are objects. */
  function build(files: Record<string, string | Record<string, unknown>>, dir: string): Built {
    const written = fixture((root) =>
      Object.fromEntries(
        Object.entries(files).map(([path, content]) => [
          path,
          typeof content === 'string' ? content : kustomization(root, dirname(path), content),
        ]),
      ),
    );
    cleanups.push(written.remove);
    return kustomizeBuild(join(written.dir, dir));
  }

  it('adds the sidecar only to the Deployments marked metrics-aggregator.io/inject: "true"', () => {
    const files = {
      'app/kustomization.yaml': {
        resources: ['marked.yaml', 'unmarked.yaml'],
        components: ['internal/sidecar'],
      },
      'app/marked.yaml': deployment('marked', true),
      'app/unmarked.yaml': deployment('unmarked', false),
    };
    const { manifests } = build(files, 'app');
    expect(sidecarsOf(podOf(manifests, 'marked'))).toHaveLength(1);
    expect(manifests.find((m) => m.metadata.name === 'unmarked')).toEqual(
      JSON.parse(deployment('unmarked', false)),
    );
  });

  it('wires a Deployment in a kustomization of its own and leaves the overlay’s other Deployments untouched', () => {
    const files = {
      'app/kustomization.yaml': {
        resources: ['deployment.yaml'],
        components: ['metrics-aggregator'],
        configMapGenerator: [ENDPOINTS],
      },
      'app/deployment.yaml': deployment('marked', true),
      'overlay/kustomization.yaml': { resources: ['../app', 'unmarked.yaml'] },
      'overlay/unmarked.yaml': deployment('unmarked', false),
    };
    const { manifests } = build(files, 'overlay');
    expect(sidecarsOf(podOf(manifests, 'marked'))).toHaveLength(1);
    expect(manifests.find((m) => m.metadata.name === 'unmarked')).toEqual(
      JSON.parse(deployment('unmarked', false)),
    );
    expect(manifests.find((m) => m.kind === 'PodMonitor')?.spec.selector).toEqual({
      matchLabels: { app: 'marked' },
    });
  });

  it('fails, rather than guess, when the kustomization including it holds two Deployments to select pods from', () => {
    const files = {
      'app/kustomization.yaml': {
        resources: ['marked.yaml', 'unmarked.yaml'],
        components: ['metrics-aggregator'],
        configMapGenerator: [ENDPOINTS],
      },
      'app/marked.yaml': deployment('marked', true),
      'app/unmarked.yaml': deployment('unmarked', false),
    };
    expect(() => build(files, 'app')).toThrow(/multiple matches for selector Deployment/);
  });

  it('keeps one sidecar when a base adds it and an overlay wires the same Deployment again', () => {
    const files = {
      'base/kustomization.yaml': { resources: ['deployment.yaml'], components: ['internal/sidecar'] },
      'base/deployment.yaml': deployment('marked', true),
      'overlay/kustomization.yaml': {
        resources: ['../base'],
        components: ['metrics-aggregator', 'native-sidecar'],
        configMapGenerator: [ENDPOINTS],
      },
    };
    const pod = podOf(build(files, 'overlay').manifests, 'marked');
    expect(sidecarsOf(pod)).toHaveLength(1);
    expect(pod.containers.map((c: Manifest) => c.name)).toEqual(['app']);
  });

  it('fails, rather than emit a second PodMonitor, when a base and an overlay both include the whole component', () => {
    const files = {
      'base/kustomization.yaml': {
        resources: ['deployment.yaml'],
        components: ['metrics-aggregator'],
        configMapGenerator: [ENDPOINTS],
      },
      'base/deployment.yaml': deployment('marked', true),
      'overlay/kustomization.yaml': { resources: ['../base'], components: ['metrics-aggregator'] },
    };
    expect(() => build(files, 'overlay')).toThrow(/already registered id: PodMonitor/);
  });
});
