// The GitHub Actions workflows of .github/workflows: actionlint (with shellcheck on their run:
// scripts) accepts them, every action is pinned to a commit, every script they run exists, and the
// release gates what it publishes (tests, Trivy, least privilege). GitHub runs them; here they are
// only read and linted.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const repoRoot = resolve(__dirname, '..');
const workflowsDir = join(repoRoot, '.github', 'workflows');
/** Built by `bash scripts/go-tools.sh` at the version it pins. */
const ACTIONLINT_BIN = join(repoRoot, '.tools', 'bin', 'actionlint');
/** Debian's shellcheck (`apt-get install shellcheck`), which actionlint runs on every run: script. */
const SHELLCHECK_BIN = '/usr/bin/shellcheck';

// biome-ignore lint/suspicious/noExplicitAny: workflow files are arbitrary YAML.
type Yaml = any;

interface Workflow {
  readonly file: string;
  readonly text: string;
  readonly doc: Yaml;
}

const workflows: Workflow[] = readdirSync(workflowsDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => {
    const text = readFileSync(join(workflowsDir, name), 'utf8');
    return { file: name, text, doc: parse(text) };
  });

function workflow(file: string): Workflow {
  const found = workflows.find((w) => w.file === file);
  if (!found) throw new Error(`.github/workflows/${file} is missing`);
  return found;
}

/** A GitHub Actions expression as a workflow writes it. */
const expression = (text: string) => `\${{ ${text} }}`;

const jobsOf = (w: Workflow): [string, Yaml][] => Object.entries(w.doc.jobs ?? {});
const stepsOf = (job: Yaml): Yaml[] => job.steps ?? [];
const usesOf = (step: Yaml): string => String(step.uses ?? '');

function requireTool(path: string, install: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${install}`);
}

/** Runs actionlint on files; its findings, or '' when it accepts them all. */
function actionlint(files: readonly string[], cwd: string): { ok: boolean; output: string } {
  requireTool(ACTIONLINT_BIN, 'run `bash scripts/go-tools.sh`');
  requireTool(SHELLCHECK_BIN, 'run `apt-get install shellcheck`');
  const run = spawnSync(ACTIONLINT_BIN, ['-no-color', '-shellcheck', SHELLCHECK_BIN, ...files], {
    cwd,
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/** A `uses:` line as the pin rule wants it: `owner/repo[/path]@<40 hex> # vX.Y.Z`, or a local reusable workflow. */
const PINNED_USES = /^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@[0-9a-f]{40} # v?\d+\.\d+\.\d+$/;
const LOCAL_WORKFLOW = /^\.\/\.github\/workflows\/[\w.-]+\.ya?ml$/;

/** The `uses:` lines of a workflow's text that break the pin rule. */
function unpinnedUses(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*(?:-\s+)?uses:\s*(.*?)\s*$/.exec(line)?.[1])
    .filter((value): value is string => value !== undefined)
    .filter((value) => !PINNED_USES.test(value) && !LOCAL_WORKFLOW.test(value));
}

describe('actionlint', () => {
  it('accepts every workflow, shellcheck included', () => {
    expect(workflows.map((w) => w.file)).toEqual(
      expect.arrayContaining(['ci.yml', 'e2e.yml', 'release.yml']),
    );
    const { ok, output } = actionlint(
      workflows.map((w) => join('.github', 'workflows', w.file)),
      repoRoot,
    );
    expect(output).toBe('');
    expect(ok).toBe(true);
  });

  describe('on a broken workflow', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const lint = (name: string, steps: string) => {
      const file = join(dir, '.github', 'workflows', name);
      writeFileSync(
        file,
        `name: broken\non: push\npermissions: {}\njobs:\n  job:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    steps:\n${steps}`,
      );
      return actionlint([file], dir);
    };

    it('rejects an unknown key', () => {
      const { ok, output } = lint('key.yml', '      - run: echo hello\n        timeout: 5\n');
      expect(ok).toBe(false);
      expect(output).toMatch(/unexpected key "timeout"/);
    });

    it('rejects a run: script that shellcheck faults', () => {
      const { ok, output } = lint('shell.yml', '      - run: rm -rf $TARGET/build\n');
      expect(ok).toBe(false);
      expect(output).toMatch(/shellcheck reported issue.*SC2086/s);
    });
  });
});

describe('pinned actions', () => {
  it('pins every action of every workflow to a commit, with its version in a comment', () => {
    for (const w of workflows)
      expect({ file: w.file, unpinned: unpinnedUses(w.text) }).toEqual({ file: w.file, unpinned: [] });
  });

  it('sees every uses: that the YAML holds (none hides in a form the line check skips)', () => {
    for (const w of workflows) {
      const parsed = jobsOf(w).flatMap(([, job]) => [
        ...(job.uses ? [job.uses] : []),
        ...stepsOf(job)
          .filter((s) => s.uses)
          .map(usesOf),
      ]);
      const lines = w.text.split('\n').filter((line) => /^\s*(?:-\s+)?uses:/.test(line));
      expect({ file: w.file, count: lines.length }).toEqual({ file: w.file, count: parsed.length });
    }
  });

  it('uses one commit per action across the workflows', () => {
    const commits = new Map<string, Set<string>>();
    for (const w of workflows)
      for (const [, job] of jobsOf(w))
        for (const step of stepsOf(job).filter((s) => s.uses)) {
          const [action, commit] = usesOf(step).split('@');
          commits.set(action, (commits.get(action) ?? new Set()).add(commit));
        }
    for (const [action, seen] of commits)
      expect({ action, commits: seen.size }).toEqual({ action, commits: 1 });
  });

  it('rejects a tag, a branch, a short commit and a commit without its version', () => {
    expect(
      unpinnedUses(
        [
          '      - uses: actions/checkout@v6',
          '      - uses: actions/checkout@main',
          '      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83d # v6.0.2',
          '        uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd',
          '      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2',
        ].join('\n'),
      ),
    ).toHaveLength(4);
  });
});

describe('what the workflows run', () => {
  const runScripts = workflows.flatMap((w) =>
    jobsOf(w).flatMap(([, job]) =>
      stepsOf(job)
        .filter((s) => s.run)
        .map((s) => String(s.run)),
    ),
  );

  it('runs only scripts that exist in the repository', () => {
    const scripts = [
      ...new Set(
        runScripts.flatMap((run) => [...run.matchAll(/\bbash\s+([\w./-]+\.sh)\b/g)].map((m) => m[1])),
      ),
    ];
    expect(scripts).toEqual(
      expect.arrayContaining(['scripts/test.sh', 'test/e2e/run.sh', 'scripts/sbom.sh']),
    );
    expect(scripts.filter((script) => !existsSync(join(repoRoot, script)))).toEqual([]);
  });

  it('builds from files that exist', () => {
    const paths = workflows.flatMap((w) =>
      jobsOf(w).flatMap(([, job]) =>
        stepsOf(job).flatMap((s) => [s.with?.file, s.with?.['cache-dependency-path']].filter(Boolean)),
      ),
    );
    expect(paths).toContain('aggregator/Dockerfile');
    expect(paths.filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
  });

  it("runs the README's test command in CI", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const ciRuns = stepsOf(workflow('ci.yml').doc.jobs.test).map((s) => s.run);
    expect(ciRuns).toContain('bash scripts/test.sh');
    expect(readme).toMatch(/^bash scripts\/test\.sh\b/m);
  });

  it('sets up the Node major of package.json engines and the Go of go-tools.sh everywhere', () => {
    const engines = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines.node as string;
    const nodeMajor = /(\d+)/.exec(engines)?.[1];
    for (const w of workflows)
      for (const [, job] of jobsOf(w))
        for (const step of stepsOf(job)) {
          if (usesOf(step).startsWith('actions/setup-node@'))
            expect(String(step.with['node-version'])).toBe(nodeMajor);
          if (usesOf(step).startsWith('actions/setup-go@'))
            expect(String(step.with['go-version'])).toBe('1.26');
        }
  });
});

describe('ci workflow', () => {
  const job = workflow('ci.yml').doc.jobs.test;
  const steps = stepsOf(job);
  const checkoutIndex = steps.findIndex((s) => usesOf(s).startsWith('actions/checkout@'));

  it('clones the whole history, which test/commits.test.ts lints (a shallow clone fails it)', () => {
    expect(steps[checkoutIndex].with['fetch-depth']).toBe(0);
  });

  it("runs in Debian bookworm, the distribution of the README's test command and its pinned peers", () => {
    expect(job.container).toBe('debian:bookworm');
    const before = steps
      .slice(0, checkoutIndex)
      .map((s) => String(s.run ?? ''))
      .join('\n');
    expect(before).toMatch(/apt-get install\b.*\bgit\b/);
    expect(before).toMatch(/apt-get install\b.*\bpython3-pip\b/);
    expect(before).toContain('chown "$(id -u):$(id -g)" "$GITHUB_WORKSPACE"');
  });
});

describe('e2e workflow', () => {
  const e2e = workflow('e2e.yml');

  it('runs every channel in every mode that the e2e scripts accept, three by three', () => {
    const lib = readFileSync(join(repoRoot, 'test', 'e2e', 'lib.sh'), 'utf8');
    const shellArray = (name: string) =>
      /^(\w+)=\((.*)\)$/m
        .exec(lib.split('\n').find((l) => l.startsWith(`${name}=(`)) ?? '')?.[2]
        .split(/\s+/);
    const matrix = e2e.doc.jobs.e2e.strategy.matrix;
    expect(matrix.channel).toEqual(shellArray('CHANNELS'));
    expect(matrix.mode).toEqual(shellArray('MODES'));
    expect([matrix.channel.length, matrix.mode.length]).toEqual([3, 3]);
    expect(e2e.doc.jobs.e2e.strategy['fail-fast']).toBe(false);
  });

  it('puts the pinned tools on the PATH and uploads the diagnostics of a failed run', () => {
    const steps = stepsOf(e2e.doc.jobs.e2e);
    expect(
      steps.some((s) => /install-tools\.sh[\s\S]*\.tools\/bin"? *>>"?\$GITHUB_PATH/.test(s.run ?? '')),
    ).toBe(true);
    const collect = steps.findIndex((s) => /collect-diagnostics\.sh/.test(s.run ?? ''));
    const upload = steps.findIndex((s) => usesOf(s).startsWith('actions/upload-artifact@'));
    expect(collect).toBeGreaterThan(0);
    expect(upload).toBeGreaterThan(collect);
    expect([steps[collect].if, steps[upload].if]).toEqual(['failure()', 'failure()']);
  });

  it("keeps a failed run's namespace, so that its own collection does not overwrite run.sh's", () => {
    const run = readFileSync(join(repoRoot, 'test', 'e2e', 'run.sh'), 'utf8');
    expect(run).toMatch(/\{E2E_KEEP:-0\} == 1/);
    expect(e2e.doc.jobs.e2e.env.E2E_KEEP).toBe('1');
  });

  it('uploads the directory the e2e scripts write their diagnostics to', () => {
    const collect = readFileSync(join(repoRoot, 'test', 'e2e', 'collect-diagnostics.sh'), 'utf8');
    const variable = /^OUT=\$\{(\w+):-/m.exec(collect)?.[1];
    expect(variable).toBeDefined();
    const job = e2e.doc.jobs.e2e;
    expect(job.env[variable as string]).toMatch(/^\$\{\{ github\.workspace \}\}\/\S+$/);
    const upload = stepsOf(job).find((s) => usesOf(s).startsWith('actions/upload-artifact@'));
    expect(upload.with.path).toBe(expression(`env.${variable}`));
  });
});

describe('release workflow', () => {
  const release = workflow('release.yml');
  const jobs = release.doc.jobs;

  it('runs on version tags only', () => {
    expect(release.doc.on).toEqual({ push: { tags: ['v*.*.*'] } });
  });

  it('checks the tag against package.json before anything else', () => {
    const check = stepsOf(jobs.version).find((s) => s.id === 'version');
    expect(check.run).toContain(`node -p "require('./package.json').version"`);
    expect(check.run).toMatch(/"\$GITHUB_REF_NAME" != "v\$version"/);
  });

  it('publishes nothing before the tests pass on the tagged commit', () => {
    expect(jobs.test.uses).toBe('./.github/workflows/ci.yml');
    expect(workflow('ci.yml').doc.on).toHaveProperty('workflow_call');
    const needs = (name: string): Set<string> => {
      const direct: string[] = [jobs[name].needs ?? []].flat();
      return new Set([...direct, ...direct.flatMap((n) => [...needs(n)])]);
    };
    for (const publisher of ['image', 'chart', 'npm', 'github-release'])
      expect({ publisher, needs: [...needs(publisher)].sort() }).toEqual({
        publisher,
        needs: expect.arrayContaining(['test', 'version']),
      });
  });

  describe('image job', () => {
    const steps = stepsOf(jobs.image);
    const trivyIndex = steps.findIndex((s) => usesOf(s).startsWith('aquasecurity/trivy-action@'));
    const trivy = steps[trivyIndex];

    it('fails on a fixable HIGH or CRITICAL vulnerability', () => {
      expect(trivy.with).toMatchObject({
        severity: 'HIGH,CRITICAL',
        'ignore-unfixed': true,
        'exit-code': '1',
      });
      expect(trivy['continue-on-error']).toBeUndefined();
    });

    it('scans the image it built, with a pinned Trivy that is not the compromised v0.69.4', () => {
      const scanned = steps.find((s) => s.with?.load === true);
      expect(scanned.with.tags).toBe(trivy.with['image-ref']);
      expect(trivy.with.version).toMatch(/^v\d+\.\d+\.\d+$/);
      expect(trivy.with.version).not.toBe('v0.69.4');
    });

    it('scans before it pushes or signs anything', () => {
      const pushes = steps.findIndex((s) => s.with?.push === true);
      const firstPublish = steps.findIndex(
        (s) =>
          s.with?.push === true || /cosign (sign|attest)/.test(s.run ?? '') || s.with?.['push-to-registry'],
      );
      expect(trivyIndex).toBeGreaterThan(0);
      expect(pushes).toBeGreaterThan(trivyIndex);
      expect(firstPublish).toBe(pushes);
    });

    it('builds linux/amd64 and linux/arm64 from aggregator/Dockerfile with the version', () => {
      const push = steps.find((s) => s.with?.push === true);
      expect(push.with).toMatchObject({
        context: '.',
        file: 'aggregator/Dockerfile',
        platforms: 'linux/amd64,linux/arm64',
        'build-args': `VERSION=${expression('env.VERSION')}`,
      });
    });

    it('signs, attests both SBOMs and the provenance of the pushed digest', () => {
      const runs = steps.map((s) => String(s.run ?? '')).join('\n');
      expect(runs).toContain('cosign sign --yes "$IMAGE@$DIGEST"');
      expect(runs).toContain('cosign attest --yes --type cyclonedx --predicate "$sbom" "$IMAGE@$DIGEST"');
      expect(runs).toMatch(/bash scripts\/sbom\.sh "sbom\/[^"]+\.runtime\.cdx\.json"/);
      const provenance = steps.find((s) => usesOf(s).startsWith('actions/attest-build-provenance@'));
      expect(provenance.with).toEqual({
        'subject-name': expression('env.IMAGE'),
        'subject-digest': expression('steps.push.outputs.digest'),
        'push-to-registry': true,
      });
    });
  });

  it('pushes and signs both charts with the helm that scripts/go-tools.sh pins', () => {
    const runs = stepsOf(jobs.chart)
      .map((s) => String(s.run ?? ''))
      .join('\n');
    expect(runs).toContain('bash scripts/go-tools.sh');
    expect(runs).toContain('helm dependency build charts/metrics-aggregator');
    expect(runs).toMatch(/helm package charts\/metrics-aggregator-lib charts\/metrics-aggregator /);
    expect(runs).toContain('helm push');
    expect(runs).toContain('cosign sign --yes');
    expect(release.doc.env.CHART_REPOSITORY).toBe('oci://ghcr.io/metrics-aggregator/charts');
  });

  it('publishes the construct library with provenance', () => {
    const publish = stepsOf(jobs.npm).find((s) => /npm publish/.test(s.run ?? ''));
    expect(publish.run).toBe('npm publish --provenance --access public -w constructs');
    expect(publish.env).toEqual({ NODE_AUTH_TOKEN: expression('secrets.NPM_TOKEN') });
    const setupNode = stepsOf(jobs.npm).find((s) => usesOf(s).startsWith('actions/setup-node@'));
    expect(setupNode.with['registry-url']).toBe('https://registry.npmjs.org');
  });
});

describe('permissions and timeouts', () => {
  it('gives every job explicit permissions, and no workflow more than read by default', () => {
    for (const w of workflows) {
      expect({ file: w.file, top: w.doc.permissions }).toEqual({
        file: w.file,
        top: w.file === 'release.yml' ? {} : { contents: 'read' },
      });
      for (const [name, job] of jobsOf(w))
        expect({ file: w.file, name, declared: !!job.permissions }).toEqual({
          file: w.file,
          name,
          declared: true,
        });
    }
  });

  it('grants write access only to the release jobs that need it', () => {
    const writers: Record<string, Record<string, string>> = {};
    for (const w of workflows)
      for (const [name, job] of jobsOf(w)) {
        const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
        if (writes.length > 0)
          writers[`${w.file}:${name}`] = Object.fromEntries(writes) as Record<string, string>;
      }
    expect(writers).toEqual({
      'release.yml:image': { packages: 'write', 'id-token': 'write', attestations: 'write' },
      'release.yml:chart': { packages: 'write', 'id-token': 'write' },
      'release.yml:npm': { 'id-token': 'write' },
      'release.yml:github-release': { contents: 'write' },
    });
  });

  it('bounds every job in time', () => {
    for (const w of workflows)
      for (const [name, job] of jobsOf(w).filter(([, j]) => !j.uses))
        expect({ file: w.file, name, timeout: typeof job['timeout-minutes'] }).toEqual({
          file: w.file,
          name,
          timeout: 'number',
        });
  });
});

describe('release notes (.github/scripts/changelog-section.sh)', () => {
  const script = join(repoRoot, '.github', 'scripts', 'changelog-section.sh');
  const section = (cwd: string, version: string) =>
    spawnSync('bash', [script, version, 'CHANGELOG.md'], { cwd, encoding: 'utf8' });

  it('finds the current version in CHANGELOG.md, as the release requires', () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    const result = section(repoRoot, version);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  describe('on a changelog that commit-and-tag-version writes', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'changelog-'));
      const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
      const release = (...args: string[]) =>
        execFileSync(join(repoRoot, 'node_modules', '.bin', 'commit-and-tag-version'), args, {
          cwd: dir,
          stdio: 'pipe',
        });
      const commit = (file: string, message: string) => {
        writeFileSync(join(dir, file), message);
        git('add', file);
        git('commit', '--quiet', '--message', message);
      };
      git('init', '--quiet');
      git('config', 'user.email', 'release@example.invalid');
      git('config', 'user.name', 'release');
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({
          name: 'x',
          version: '1.0.0',
          repository: 'https://github.com/metrics-aggregator/metrics-aggregator',
        }),
      );
      commit('a', 'feat: the first feature');
      release('--first-release');
      commit('b', 'fix: the first fix');
      release();
      commit('c', 'feat: the second feature');
      release();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('prints the section of one version, without its heading or the next version', () => {
      const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
      expect(changelog).toMatch(/^## \[1\.0\.1\]\(.*\) \(\d{4}-\d\d-\d\d\)$/m);
      const result = section(dir, '1.0.1');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^### Bug Fixes\n\n\* the first fix \(\[[0-9a-f]{7}\]/);
      expect(result.stdout).not.toMatch(/feature|##? \[?1\.0/);
    });

    it('prints the newest and the first section', () => {
      expect(section(dir, '1.1.0').stdout).toMatch(/^### Features\n\n\* the second feature /);
      expect(section(dir, '1.0.0').stdout).toMatch(/^### Features\n\n\* the first feature /);
    });

    it('fails on a version with no heading, naming it', () => {
      const result = section(dir, '1.0');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('no heading for version 1.0');
      expect(section(dir, '2.0.0').status).toBe(1);
    });
  });
});
