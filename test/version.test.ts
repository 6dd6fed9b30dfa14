// The product's version: one source (the root package.json), every other place equal to it, and one
// command that bumps them all. The bump is tried on a copy of the work tree, a git repository of its own.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkVersions, unlistedOccurrences } from '../scripts/version';
import { LOCKED_CHARTS, occurrencesIn, sourceVersion, VERSION_PLACES } from '../scripts/version-places';
import { tryHelm } from './support/helm';

const repoRoot = resolve(__dirname, '..');
const BUNDLE = join('aggregator', 'dist', 'metrics-aggregator.js');

/** Git that ignores the user's and the system's configuration (signing, hooks), with a fixed identity. */
const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

function run(cwd: string, command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, [...args], { cwd, env: gitEnv, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}

/** `node aggregator/dist/metrics-aggregator.js --version` in `root`. */
function bundleVersion(root: string): string {
  const bundle = join(root, BUNDLE);
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  return run(root, process.execPath, [bundle, '--version']).trim();
}

/** The versions each place holds in the repository at `root`, as `file:line version`. */
function placeVersions(root: string): string[] {
  return VERSION_PLACES.flatMap((place) =>
    occurrencesIn(place, readFileSync(join(root, place.file), 'utf8')).map(
      (o) => `${place.file}:${o.line} ${o.version}`,
    ),
  );
}

/**
 * A copy of what git would commit from the work tree (tracked and new files), as a repository with one
 * commit, sharing the work tree's node_modules.
 */
function copyWorkTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'version-'));
  const files = run(repoRoot, 'git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z']);
  for (const file of files.split('\0').filter(Boolean)) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(dir, file));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  run(dir, 'git', ['init', '--quiet', '--initial-branch', 'main']);
  run(dir, 'git', ['add', '--all']);
  run(dir, 'git', ['commit', '--quiet', '--message', 'chore: the work tree']);
  return dir;
}

describe('the version: the root package.json, and every place of scripts/version-places.ts', () => {
  const version = sourceVersion(repoRoot);

  it('is the same in every place, and every Chart.lock digest is the one Helm computes', () => {
    expect(checkVersions(repoRoot)).toEqual([]);
  });

  it('is in no tracked file outside those places, except the listed exceptions', () => {
    expect(unlistedOccurrences(repoRoot, version)).toEqual([]);
  });

  it('is what the aggregator bundle prints for --version', () => {
    expect(bundleVersion(repoRoot)).toBe(version);
  });
});

describe('`npm version 9.8.7` then `npm run release` after a feat: commit, on a copy of the work tree', () => {
  let copy: string;
  const before = placeVersions(repoRoot);

  beforeAll(() => {
    copy = copyWorkTree();
    run(copy, 'npm', ['version', '9.8.7', '--no-git-tag-version']);
  }, 120_000);

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('writes 9.8.7 into every place, and `version.ts check` passes', () => {
    const after = placeVersions(copy);
    expect(after.map((p) => p.replace(/ .*/, ''))).toEqual(before.map((p) => p.replace(/ .*/, '')));
    expect(after.filter((p) => !p.endsWith(' 9.8.7'))).toEqual([]);
    expect(sourceVersion(copy)).toBe('9.8.7');
    expect(run(copy, process.execPath, ['-r', '@swc-node/register', 'scripts/version.ts', 'check'])).toMatch(
      'every place says 9.8.7',
    );
  });

  it('stages every file it changed, package.json included', () => {
    const staged = run(copy, 'git', ['diff', '--cached', '--name-only']).split('\n').filter(Boolean);
    const files = new Set(['package.json', ...VERSION_PLACES.map((p) => p.file)]);
    expect(staged.sort()).toEqual([...files].sort());
    expect(run(copy, 'git', ['diff', '--name-only'])).toBe('');
  });

  it('leaves Chart.lock files that `helm dependency build` accepts', () => {
    for (const chart of LOCKED_CHARTS) {
      const outcome = tryHelm(['dependency', 'build', join(copy, chart)]);
      expect({ chart, ...outcome, stdout: '' }).toEqual({ chart, ok: true, stdout: '', stderr: '' });
    }
  });

  it('builds an aggregator whose --version prints 9.8.7', () => {
    run(join(copy, 'aggregator'), process.execPath, ['build.mjs']);
    expect(bundleVersion(copy)).toBe('9.8.7');
  });

  it('fails the check, naming file and line, when one place is set back', () => {
    const file = join(copy, 'charts', 'metrics-aggregator', 'Chart.yaml');
    const synced = readFileSync(file, 'utf8');
    writeFileSync(file, synced.replace(/^appVersion: 9\.8\.7$/m, 'appVersion: 0.0.1'));
    try {
      const problems = checkVersions(copy);
      expect(problems).toEqual([
        expect.stringMatching(/^charts\/metrics-aggregator\/Chart\.yaml:\d+: the app version is 0\.0\.1/),
      ]);
    } finally {
      writeFileSync(file, synced);
    }
  });

  it('fails the check when a Chart.lock digest is not what Helm would compute', () => {
    const lock = join(copy, LOCKED_CHARTS[0], 'Chart.lock');
    const synced = readFileSync(lock, 'utf8');
    writeFileSync(lock, synced.replace(/^digest: sha256:\w+$/m, `digest: sha256:${'0'.repeat(64)}`));
    try {
      expect(checkVersions(copy)).toEqual([
        expect.stringMatching(/^charts\/metrics-aggregator\/Chart\.lock:\d+: digest/),
      ]);
    } finally {
      writeFileSync(lock, synced);
    }
  });

  it('releases 9.9.0 from a feat: commit: one commit of every place and the CHANGELOG, tagged v9.9.0', () => {
    run(copy, 'git', ['commit', '--quiet', '--message', 'chore(release): 9.8.7']);
    run(copy, 'git', ['tag', 'v9.8.7']);
    run(copy, 'git', [
      'commit',
      '--quiet',
      '--allow-empty',
      '--message',
      'feat: a feature worth a minor version',
    ]);
    run(copy, 'npm', ['run', 'release']);

    expect(sourceVersion(copy)).toBe('9.9.0');
    expect(placeVersions(copy).filter((p) => !p.endsWith(' 9.9.0'))).toEqual([]);
    expect(run(copy, 'git', ['log', '-1', '--format=%s'])).toBe('chore(release): 9.9.0\n');
    expect(run(copy, 'git', ['tag', '--points-at', 'HEAD'])).toBe('v9.9.0\n');
    const committed = run(copy, 'git', ['show', '--name-only', '--format=', 'HEAD'])
      .split('\n')
      .filter(Boolean);
    expect(committed.sort()).toEqual(
      [...new Set(['CHANGELOG.md', 'package.json', ...VERSION_PLACES.map((p) => p.file)])].sort(),
    );
    expect(run(copy, 'git', ['status', '--porcelain'])).toBe('');
    const changelog = readFileSync(join(copy, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(
      /^## \[9\.9\.0\]\(.*\) \(\d{4}-\d{2}-\d{2}\)\n\n\n### Features\n\n\* a feature worth a minor version/m,
    );
  });
});
