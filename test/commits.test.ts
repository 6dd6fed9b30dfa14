// Commit messages follow Conventional Commits from the commit that adopted them onward: the release
// picks the next version and writes CHANGELOG.md from them (docs/releasing.md). Checked by commitlint
// with commitlint.config.js.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..');
const commitlint = join(repoRoot, 'node_modules', '.bin', 'commitlint');
/** The subject of the first Conventional Commit: history before it is not checked. */
const ADOPTION_SUBJECT = 'build: dev dependencies for release engineering';

interface Outcome {
  readonly ok: boolean;
  readonly output: string;
}

function lint(args: readonly string[], input?: string): Outcome {
  try {
    const output = execFileSync(commitlint, [...args], {
      cwd: repoRoot,
      input,
      encoding: 'utf8',
      stdio: 'pipe',
      // Plain text whatever the environment: CI=true turns commitlint's colours on.
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { status?: number | null; stdout?: string; stderr?: string };
    if (failed.status === undefined || failed.status === null) throw error;
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

function git(args: readonly string[]): string {
  return execFileSync('git', [...args], { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' });
}

describe('commit messages', () => {
  it('are Conventional Commits from the adoption commit onward', () => {
    if (git(['rev-parse', '--is-shallow-repository']).trim() === 'true') {
      throw new Error(
        'the clone is shallow: commit messages are checked from history (fetch with fetch-depth: 0)',
      );
    }
    const adoption = git(['log', '--format=%H %s'])
      .split('\n')
      .filter((line) => line.slice(41).startsWith(ADOPTION_SUBJECT))
      .pop()
      ?.slice(0, 40);
    if (!adoption) throw new Error(`no commit has the subject "${ADOPTION_SUBJECT}…": where did history go?`);
    const outcome = lint(['--from', `${adoption}^`, '--to', 'HEAD']);
    expect(outcome).toEqual({ ok: true, output: '' });
  });

  it('rejects a subject without a Conventional Commits type', () => {
    const outcome = lint([], 'Tools for release engineering: actionlint, hadolint\n');
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/type may not be empty \[type-empty\]/);
  });

  it('rejects a header longer than 120 characters, the limit commitlint.config.js sets', () => {
    expect(lint([], `feat: ${'x'.repeat(114)}\n`).ok).toBe(true);
    const outcome = lint([], `feat: ${'x'.repeat(115)}\n`);
    expect(outcome.output).toMatch(/header must not be longer than 120 characters/);
  });
});
