import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';

const REPO_ROOT = resolve(__dirname, '../..');
const AGGREGATOR_DIR = join(REPO_ROOT, 'aggregator');
const SOURCE_MAP = join(AGGREGATOR_DIR, 'dist', 'metrics-aggregator.js.map');

/** The parts of a CycloneDX JSON BOM these tests read. */
interface Component {
  readonly 'bom-ref': string;
  readonly type: string;
  readonly name: string;
  readonly version: string;
  readonly purl: string;
}
interface Bom {
  readonly specVersion: string;
  readonly metadata: { readonly component: Component };
  readonly components: Component[];
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly workspaces?: string[];
}
const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** Runs scripts/sbom.sh as the release workflow does, from the repository root. */
function runSbomScript(args: string[] = []): string {
  const result = spawnSync('bash', ['scripts/sbom.sh', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`scripts/sbom.sh exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The installed copy of a package the aggregator resolves (a nested copy wins over the hoisted one). */
function installedVersion(name: string): string {
  const dir = [join(AGGREGATOR_DIR, 'node_modules', name), join(REPO_ROOT, 'node_modules', name)].find(
    existsSync,
  );
  if (!dir) throw new Error(`${name} is not installed: run npm ci`);
  return readManifest(dir).version;
}

/** The npm package-url of a package (purl spec: the scope's '@' is percent-encoded). */
const npmPurl = (name: string, version: string) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;

/** The package directories (…/node_modules/<name>) of the files the bundle's source map lists. */
function bundledPackageDirs(): Set<string> {
  if (!existsSync(SOURCE_MAP))
    throw new Error(`${SOURCE_MAP} is missing: run \`npm run build -w aggregator\` first`);
  const { sources } = JSON.parse(readFileSync(SOURCE_MAP, 'utf8')) as { sources: string[] };
  const nodeModules = `${sep}node_modules${sep}`;
  const dirs = new Set<string>();
  for (const source of sources) {
    const path = resolve(dirname(SOURCE_MAP), source);
    const at = path.lastIndexOf(nodeModules);
    if (at < 0) continue;
    const [first, second] = path.slice(at + nodeModules.length).split(sep);
    dirs.add(join(path.slice(0, at + nodeModules.length), first, first.startsWith('@') ? second : ''));
  }
  return dirs;
}

const rootManifest = readManifest(REPO_ROOT);
const aggregatorManifest = readManifest(AGGREGATOR_DIR);
let sbomText: string;
let sbom: Bom;
const listed = (name: string) => sbom.components.filter((c) => c.name === name);

beforeAll(() => {
  sbomText = runSbomScript();
  sbom = JSON.parse(sbomText);
}, 60_000);

describe('the SBOM of the image (scripts/sbom.sh)', () => {
  it('is valid CycloneDX JSON for its spec version, under the strict schema', async () => {
    const version = Object.values(Spec.Version).find((v) => v === sbom.specVersion);
    if (!version) throw new Error(`unknown CycloneDX specVersion ${sbom.specVersion}`);
    expect(await new Validation.JsonStrictValidator(version).validate(sbomText)).toBeNull();
  });

  it('rejects, through the same validator, an SBOM that breaks the schema', async () => {
    const broken = JSON.parse(sbomText);
    broken.components[0].purl = 42;
    const errors = await new Validation.JsonStrictValidator(broken.specVersion).validate(
      JSON.stringify(broken),
    );
    expect(errors).toEqual([expect.objectContaining({ instancePath: '/components/0/purl' })]);
  });

  it('describes the aggregator, at the repository version, as the application it is about', () => {
    expect(sbom.metadata.component).toMatchObject({
      type: 'application',
      name: aggregatorManifest.name,
      version: rootManifest.version,
      purl: npmPurl(aggregatorManifest.name, rootManifest.version),
    });
    expect(listed(aggregatorManifest.name)).toEqual([]);
  });

  it('lists every runtime dependency of the aggregator with its installed version and npm purl', () => {
    const runtime = Object.keys(aggregatorManifest.dependencies ?? {});
    expect(runtime.length).toBeGreaterThan(0);
    for (const name of runtime) {
      const version = installedVersion(name);
      expect(listed(name)).toEqual([expect.objectContaining({ version, purl: npmPurl(name, version) })]);
    }
  });

  it('lists no development dependency of the repository or its workspaces', () => {
    const manifests = [
      rootManifest,
      ...(rootManifest.workspaces ?? []).map((w) => readManifest(join(REPO_ROOT, w))),
    ];
    const devOnly = manifests.flatMap((m) => Object.keys(m.devDependencies ?? {}));
    expect(devOnly).toEqual(expect.arrayContaining(['jest', 'typescript', 'esbuild', '@biomejs/biome']));
    expect(devOnly.filter((name) => listed(name).length > 0)).toEqual([]);
  });

  it('lists every package the bundle inlines, at the version inlined (from its source map)', () => {
    const bundled = [...bundledPackageDirs()].map((dir) => {
      const { name, version } = readManifest(dir);
      return `${name}@${version}`;
    });
    expect(bundled).toEqual(
      expect.arrayContaining(
        Object.keys(aggregatorManifest.dependencies ?? {}).map((name) => `${name}@${installedVersion(name)}`),
      ),
    );
    const inSbom = new Set(sbom.components.map((c) => `${c.name}@${c.version}`));
    expect(bundled.filter((pkg) => !inSbom.has(pkg))).toEqual([]);
  });

  it('writes the same SBOM to the file it is given, and nothing to stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbom-'));
    try {
      const out = join(dir, 'sbom.cdx.json');
      expect(runSbomScript([out])).toBe('');
      const written: Bom = JSON.parse(readFileSync(out, 'utf8'));
      expect(written.metadata.component).toEqual(sbom.metadata.component);
      expect(written.components).toEqual(sbom.components);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
