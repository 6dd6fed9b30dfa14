// What can be proven of test/e2e/ without a cluster: the scripts pass shellcheck, every channel in
// every mode renders a pod Kubernetes accepts with the three application containers wired as the
// mode needs, the application stand-in stops serving on demand without exiting (with the real
// aggregator reporting it down), and the scripts refuse a bad invocation before touching a cluster.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseMetricsEndpoints } from '../aggregator/src/config/metrics-endpoints';
import { type AggregatorProcess, startAggregator } from '../aggregator/test/support/aggregator-process';
import { Prometheus } from '../aggregator/test/support/prometheus';
import { DEFAULT_IMAGE } from '../constructs/src/defaults';
import { metricsEndpointsOf, parseManifests } from './support/helm';
import { k8sValidateYaml, validationErrors } from './support/k8s-validate';
import { resolveConfigMapRefs } from './support/kustomize';
import { type Manifest, type ModeName, seedFromConstructs, wiringOf } from './support/wiring';

const repoRoot = resolve(__dirname, '..');
const e2eDir = join(repoRoot, 'test', 'e2e');
const SHELLCHECK = '/usr/bin/shellcheck';
const APP_SCRIPT = join(e2eDir, 'app', 'metrics-app.js');

const CHANNELS = ['constructs', 'chart', 'kustomize'] as const;
/** The e2e modes, by the name the scripts take, and the name the channels give them. */
const MODES: [string, ModeName][] = [
  ['istio-merge', 'istio-metrics-merge'],
  ['port-level-exception', 'port-level-exception'],
  ['no-mesh', 'no-mesh'],
];
const APPS = { api: 8080, worker: 9100, cache: 9121 };

function bash(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync('bash', [...args], { cwd: repoRoot, encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function render(channel: string, mode: string, extra: readonly string[] = []): string {
  const result = bash(['test/e2e/render.sh', channel, mode, ...extra]);
  if (result.status !== 0) throw new Error(`render.sh ${channel} ${mode} failed: ${result.stderr}`);
  return result.stdout;
}

function podOf(manifests: readonly Manifest[]): Manifest {
  const workloads = manifests.filter((m) => m.kind === 'Deployment');
  if (workloads.length !== 1) throw new Error(`expected one Deployment, found ${workloads.length}`);
  return workloads[0].spec.template;
}

describe('the e2e scripts', () => {
  it('pass shellcheck without a finding (test/e2e/*.sh, scripts/*.sh)', () => {
    if (!existsSync(SHELLCHECK))
      throw new Error(`shellcheck is not installed (${SHELLCHECK}): apt-get install shellcheck`);
    const scripts = [
      ...readdirSync(e2eDir)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => `test/e2e/${f}`),
      ...readdirSync(join(repoRoot, 'scripts'))
        .filter((f) => f.endsWith('.sh'))
        .map((f) => `scripts/${f}`),
    ];
    expect(scripts).toEqual(
      expect.arrayContaining(['test/e2e/run.sh', 'test/e2e/cluster-up.sh', 'test/e2e/render.sh']),
    );
    const result = spawnSync(SHELLCHECK, ['-x', ...scripts], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe.each(CHANNELS)('render.sh %s', (channel) => {
  describe.each(MODES)('in mode %s', (mode, channelMode) => {
    let yaml: string;
    let manifests: Manifest[];
    beforeAll(() => {
      yaml = render(channel, mode);
      manifests = resolveConfigMapRefs(parseManifests(yaml));
    }, 60_000);

    it('renders only objects Kubernetes accepts: CRD schemas, Pod Security "restricted"', () => {
      expect(validationErrors(k8sValidateYaml(yaml))).toEqual([]);
    });

    it('puts every object in its own namespace, in the mesh only in the meshed modes', () => {
      const namespace = `e2e-${channel}-${mode}`;
      const [ns] = manifests.filter((m) => m.kind === 'Namespace');
      expect(ns.metadata.name).toBe(namespace);
      for (const m of manifests.filter((o) => o.kind !== 'Namespace'))
        expect(m.metadata.namespace).toBe(namespace);
      const labels = ns.metadata.labels ?? {};
      expect(labels['metrics-aggregator.io/e2e']).toBe('true');
      if (mode === 'no-mesh') {
        expect(labels['istio-injection']).toBeUndefined();
        expect(labels['istio.io/rev']).toBeUndefined();
      } else {
        expect(labels['istio-injection']).toBe('enabled');
      }
    });

    it('runs the three application containers from the ConfigMap holding metrics-app.js, plus the aggregator', () => {
      const pod = podOf(manifests);
      const names = pod.spec.containers.map((c: Manifest) => c.name).sort();
      expect(names).toEqual(['api', 'cache', 'metrics-aggregator', 'worker']);
      const configMap = manifests.find(
        (m) => m.kind === 'ConfigMap' && m.metadata.name === 'e2e-metrics-app',
      );
      expect(configMap?.data['metrics-app.js']).toBe(readFileSync(APP_SCRIPT, 'utf8'));
      const volume = pod.spec.volumes.find((v: Manifest) => v.configMap?.name === 'e2e-metrics-app');
      for (const [name, port] of Object.entries(APPS)) {
        const container = pod.spec.containers.find((c: Manifest) => c.name === name);
        expect(container.command).toEqual([
          'node',
          '/e2e/metrics-app.js',
          '--name',
          name,
          '--port',
          String(port),
        ]);
        expect(container.ports.map((p: Manifest) => p.containerPort)).toEqual([port]);
        expect(container.volumeMounts).toEqual([
          expect.objectContaining({ name: volume.name, mountPath: '/e2e' }),
        ]);
        expect(container.image).toBe(DEFAULT_IMAGE);
        expect(container.imagePullPolicy).toBe('IfNotPresent');
      }
      const sidecar = pod.spec.containers.find((c: Manifest) => c.name === 'metrics-aggregator');
      expect(sidecar.image).toBe(DEFAULT_IMAGE);
    });

    it('has the aggregator scrape exactly the three application containers on their ports', () => {
      const upstreams = parseMetricsEndpoints(metricsEndpointsOf(manifests));
      expect(Object.fromEntries(upstreams.map((u) => [u.name, u.url.toString()]))).toEqual(
        Object.fromEntries(
          Object.entries(APPS).map(([name, port]) => [name, `http://localhost:${port}/metrics`]),
        ),
      );
    });

    it('wires the mode as the constructs do: PodMonitor endpoints, pod annotations, PeerAuthentication', () => {
      const wiring = wiringOf(manifests);
      const seed = wiringOf(seedFromConstructs(channelMode));
      expect(wiring.podMetricsEndpoints).toEqual(seed.podMetricsEndpoints);
      expect(wiring.podAnnotations).toEqual(seed.podAnnotations);
      expect(wiring.peerAuthenticationSpec).toEqual(seed.peerAuthenticationSpec);
      if (mode === 'no-mesh') expect(wiring.peerAuthenticationSpec).toBeUndefined();
      else expect(wiring.peerAuthenticationSpec?.mtls).toEqual({ mode: 'STRICT' });
    });
  });

  it('uses the --image for the aggregator and the application containers', () => {
    const image = 'registry.example/metrics-aggregator:e2e-1';
    const pod = podOf(parseManifests(render(channel, 'no-mesh', ['--image', image])));
    expect(pod.spec.containers.map((c: Manifest) => c.image)).toEqual([image, image, image, image]);
  }, 60_000);
});

describe('the scripts refuse a bad invocation before touching a cluster', () => {
  let stubs: string;
  let calls: string;
  beforeAll(() => {
    // Stand-ins for every cluster tool that record any call.
    stubs = mkdtempSync(join(tmpdir(), 'e2e-stubs-'));
    calls = join(stubs, 'calls.log');
    for (const tool of ['kubectl', 'kind', 'istioctl', 'docker', 'helm', 'kustomize']) {
      writeFileSync(join(stubs, tool), `#!/bin/sh\necho "${tool} $*" >>"${calls}"\nexit 1\n`);
      chmodSync(join(stubs, tool), 0o755);
    }
  });
  afterAll(() => rmSync(stubs, { recursive: true, force: true }));

  const env = () => ({
    ...process.env,
    PATH: `${stubs}:${process.env.PATH}`,
    KUBECONFIG: join(stubs, 'none'),
  });

  it.each([
    [['test/e2e/run.sh', 'helmfile', 'no-mesh'], "unknown channel 'helmfile'"],
    [['test/e2e/run.sh', 'chart', 'ambient'], "unknown mode 'ambient'"],
    [['test/e2e/run.sh', 'chart'], 'expected <channel> <mode>, got 1 argument(s)'],
    [['test/e2e/render.sh', 'kustomize', 'sidecar-less'], "unknown mode 'sidecar-less'"],
    [
      ['test/e2e/render.sh', 'chart', 'no-mesh', '--image', 'registry.example/x'],
      "--image must be <name>:<tag>, got 'registry.example/x'",
    ],
    [['test/e2e/cluster-up.sh', 'now'], "unexpected argument 'now'"],
  ])('rejects %j, naming the bad value', (args, message) => {
    const result = bash(args, env());
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
  });

  it('rejects E2E_EXISTING_CLUSTER and E2E_KEEP other than 0 or 1', () => {
    const cluster = bash(['test/e2e/cluster-up.sh'], { ...env(), E2E_EXISTING_CLUSTER: 'yes' });
    expect(cluster.status).toBe(2);
    expect(cluster.stderr).toContain("E2E_EXISTING_CLUSTER must be 0 or 1, got 'yes'");
    const run = bash(['test/e2e/run.sh', 'chart', 'no-mesh'], { ...env(), E2E_KEEP: 'true' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("E2E_KEEP must be 0 or 1, got 'true'");
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
  });
});

/** metrics-app.js as its own process on 127.0.0.1, once it logs that it listens. */
async function startApp(name: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [APP_SCRIPT, '--name', name, '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`metrics-app ${name} did not start: ${output}`)), 5000);
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`metrics-app ${name} exited with ${code}: ${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

describe('app/metrics-app.js', () => {
  const apps: Record<string, Awaited<ReturnType<typeof startApp>>> = {};
  let aggregator: AggregatorProcess | undefined;
  beforeAll(async () => {
    for (const name of Object.keys(APPS)) apps[name] = await startApp(name);
    aggregator = await startAggregator(['--port', '0', '--host', '127.0.0.1', '--upstream-timeout', '2s'], {
      METRICS_ENDPOINTS: JSON.stringify(
        Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, `${app.url}/metrics`])),
      ),
    });
  }, 30_000);
  afterAll(async () => {
    await aggregator?.stop();
    for (const app of Object.values(apps)) app.child.kill('SIGTERM');
  });

  const scrape = async () => (await fetch(`${aggregator?.url}/metrics`)).text();

  it('serves its series, which the aggregator labels with each container', async () => {
    const body = await (await fetch(`${apps.api.url}/metrics`)).text();
    expect(body).toContain('e2e_app_info{app="api"} 1');
    const merged = await scrape();
    for (const name of Object.keys(APPS)) {
      expect(merged).toMatch(
        new RegExp(
          `e2e_app_info\\{[^}]*app="${name}"[^}]*origin_container="${name}"|e2e_app_info\\{[^}]*origin_container="${name}"[^}]*app="${name}"`,
        ),
      );
      expect(merged).toMatch(
        new RegExp(`metrics_aggregator_upstream_up\\{[^}]*upstream="${name}"[^}]*\\} 1`),
      );
    }
  });

  it('stops serving on POST /stop and stays alive, the aggregator reporting that container down only', async () => {
    const stopped = await fetch(`${apps.worker.url}/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`${apps.worker.url}/metrics`)).rejects.toThrow();
    expect(apps.worker.child.exitCode).toBeNull();
    expect(apps.worker.child.signalCode).toBeNull();
    const merged = await scrape();
    expect(merged).toMatch(/metrics_aggregator_upstream_up\{[^}]*upstream="worker"[^}]*\} 0/);
    expect(merged).toMatch(/metrics_aggregator_upstream_up\{[^}]*upstream="api"[^}]*\} 1/);
    expect(merged).toMatch(/metrics_aggregator_upstream_up\{[^}]*upstream="cache"[^}]*\} 1/);
    expect(merged).not.toContain('app="worker"');
  });
});

describe("lib.sh's Prometheus queries against a real Prometheus scraping the aggregator", () => {
  const apps: Record<string, Awaited<ReturnType<typeof startApp>>> = {};
  let aggregator: AggregatorProcess | undefined;
  let prometheus: Prometheus | undefined;
  beforeAll(async () => {
    for (const name of Object.keys(APPS)) apps[name] = await startApp(name);
    aggregator = await startAggregator(['--port', '0', '--host', '127.0.0.1'], {
      METRICS_ENDPOINTS: JSON.stringify(
        Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, `${app.url}/metrics`])),
      ),
    });
    prometheus = await Prometheus.start({
      jobs: [{ name: 'e2e', target: new URL(aggregator.url).host }],
    });
    const up = prometheus;
    await up.waitFor('three upstreams', async () =>
      (await up.query('metrics_aggregator_upstream_up')).length === 3 ? true : undefined,
    );
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await aggregator?.stop();
    for (const app of Object.values(apps)) app.child.kill('SIGTERM');
  });

  /** Runs a lib.sh function with PROMETHEUS_URL set to the real Prometheus. */
  const lib = (...call: string[]) =>
    bash([
      '-c',
      'set -euo pipefail; source test/e2e/lib.sh; PROMETHEUS_URL=$1; shift; "$@"',
      'lib',
      prometheus?.url ?? '',
      ...call,
    ]);

  it('reads each series as label=value, sorted', () => {
    expect(lib('prom_samples', 'metrics_aggregator_upstream_up', 'upstream')).toMatchObject({
      status: 0,
      stdout: 'api=1 cache=1 worker=1\n',
    });
  });

  it('pairs two labels of each series, as run.sh checks origin_container', () => {
    expect(
      lib('prom_pairs', 'group by (origin_container, app) (e2e_app_info)', 'origin_container', 'app'),
    ).toMatchObject({ status: 0, stdout: 'api=api cache=cache worker=worker\n' });
  });

  it('fails an expectation that the series do not meet, saying what it saw', () => {
    const result = lib('expect_samples', 'metrics_aggregator_upstream_up', 'upstream', 'api=1');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("expected 'api=1', got 'api=1 cache=1 worker=1'");
  });

  it('fails a query that Prometheus rejects', () => {
    const result = lib('prom_query', 'up{');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('query failed: up{');
  });
});
