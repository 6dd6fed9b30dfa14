// CHANGELOG.md is written by commit-and-tag-version (`npm run release`), never by hand: its latest section
// is what the tool makes of the commits before the commit that wrote it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sourceVersion } from '../scripts/version-places';

const repoRoot = resolve(__dirname, '..');
const CHANGELOG = 'CHANGELOG.md';
const toolDir = join(repoRoot, 'node_modules', 'commit-and-tag-version');
/** A release's heading: `##` (`###` for a patch), the version, linked when there is a previous tag, and the date. */
const RELEASE_HEADING =
  /^#{2,3} \[?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\]?(?:\([^)]*\))? \(\d{4}-\d{2}-\d{2}\)$/gm;

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', [...args], { cwd, encoding: 'utf8', stdio: 'pipe' });
}

/** The latest release's section of a changelog: its heading up to the next heading of a release. */
function latestSection(changelog: string): { version: string; text: string } {
  const [first, second] = [...changelog.matchAll(RELEASE_HEADING)];
  if (!first) throw new Error(`${CHANGELOG} has no release heading`);
  return { version: first[1], text: changelog.slice(first.index, second?.index).trim() };
}

const undated = (text: string) => text.replace(/ \(\d{4}-\d{2}-\d{2}\)$/m, ' (date)');

describe('CHANGELOG.md', () => {
  const changelog = readFileSync(join(repoRoot, CHANGELOG), 'utf8');

  it("starts with commit-and-tag-version's header", () => {
    // The tool's default header, from the tool itself.
    const { header } = require(join(toolDir, 'defaults.js')) as { header: string };
    expect(changelog.startsWith(`${header}\n`)).toBe(true);
  });

  it('has the root package.json version as its latest release', () => {
    expect(latestSection(changelog).version).toBe(sourceVersion(repoRoot));
  });

  it('has as latest section what commit-and-tag-version writes for the commits before the one that wrote it', () => {
    if (git(repoRoot, ['rev-parse', '--is-shallow-repository']).trim() === 'true') {
      throw new Error('the clone is shallow: the changelog is made from history (fetch with fetch-depth: 0)');
    }
    const writer = git(repoRoot, ['log', '-1', '--format=%H', '--', CHANGELOG]).trim();
    if (!writer) throw new Error(`${CHANGELOG} is not committed: the test regenerates it from history`);
    const committed = git(repoRoot, ['show', `${writer}:${CHANGELOG}`]);
    const clone = mkdtempSync(join(tmpdir(), 'changelog-'));
    try {
      git(tmpdir(), ['clone', '--quiet', '--no-checkout', repoRoot, clone]);
      git(clone, ['checkout', '--quiet', `${writer}^`]);
      // Links in the changelog come from the remote: the clone must have the work tree's, or none.
      const origin = git(repoRoot, ['remote']).split('\n').includes('origin')
        ? git(repoRoot, ['remote', 'get-url', 'origin']).trim()
        : undefined;
      if (origin) git(clone, ['remote', 'set-url', 'origin', origin]);
      else git(clone, ['remote', 'remove', 'origin']);
      writeFileSync(join(clone, '.versionrc.json'), git(repoRoot, ['show', `${writer}:.versionrc.json`]));
      const { version, text } = latestSection(committed);
      // --dry-run prints the new section between two `---` lines and writes nothing, runs no hook.
      const out = execFileSync(
        process.execPath,
        [join(toolDir, 'bin', 'cli.js'), '--dry-run', '--skip.commit', '--skip.tag', '--release-as', version],
        { cwd: clone, encoding: 'utf8', stdio: 'pipe' },
      );
      const regenerated = /\n---\n([\s\S]*)\n---\n/.exec(out)?.[1];
      if (regenerated === undefined)
        throw new Error(`no section in commit-and-tag-version's output:\n${out}`);
      expect(undated(regenerated.trim())).toBe(undated(text));
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
