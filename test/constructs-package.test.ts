// What `npm publish -w constructs` (the release workflow) would upload: the built library, nothing else.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..');

/** The files of `npm pack --dry-run --json -w constructs`. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '-w', 'constructs'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
  return pack.files.map((f) => f.path).sort();
}

describe('the cdk8s-metrics-aggregator package (constructs/)', () => {
  const manifest = JSON.parse(readFileSync(resolve(repoRoot, 'constructs', 'package.json'), 'utf8'));

  it('is public, published with provenance, from this repository', () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.publishConfig).toEqual({ access: 'public', provenance: true });
    expect(manifest.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/metrics-aggregator/metrics-aggregator.git',
      directory: 'constructs',
    });
  });

  it('packs only package.json, docs and compiled JavaScript with its types: no sources, tests or scripts', () => {
    const files = packedFiles();
    expect(files).toContain('package.json');
    expect(
      files.filter((f) => !/^(package\.json|README\.md|LICENSE)$|^lib\/.*(?<!\.test)\.(js|d\.ts)$/.test(f)),
    ).toEqual([]);
    const js = files.filter((f) => f.endsWith('.js'));
    expect(js.filter((f) => !files.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([manifest.main, manifest.types, 'README.md']));
  });

  it('exports from its compiled entry point (built by `npm run build`) exactly what its sources export', () => {
    const compiled = require(resolve(repoRoot, 'constructs', manifest.main));
    const sources = require(resolve(repoRoot, 'constructs', 'src'));
    expect(Object.keys(compiled).sort()).toEqual(Object.keys(sources).sort());
    expect(compiled.DEFAULT_IMAGE).toBe(sources.DEFAULT_IMAGE);
    expect(compiled.DEFAULT_IMAGE).toMatch(new RegExp(`:${manifest.version.replace(/\./g, '\\.')}$`));
  });
});
