// The verification commands of SECURITY.md and the README's "Verify what you run" check what the release workflow
// actually does: the signer identity is its file at a version tag of the repository the image names
// as its source, and the image and charts are the ones it pushes. All of it is read from the
// workflow, the Dockerfile and the charts, so renaming any of them without the docs fails here.
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'yaml';

const repoRoot = resolve(__dirname, '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

const RELEASE_WORKFLOW = '.github/workflows/release.yml';
const release = parse(read(RELEASE_WORKFLOW));
const version: string = JSON.parse(read('package.json')).version;
/** The repository the image says it was built from (its org.opencontainers.image.source label). */
const source = /org\.opencontainers\.image\.source="(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)"/.exec(
  read('aggregator/Dockerfile'),
)?.[1] as string;
const repoSlug = source?.replace('https://github.com/', '');
const OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** What the release pushes: the image, and the charts its chart job packages under CHART_REPOSITORY. */
const image: string = release.env.IMAGE;
const chartRunScripts = release.jobs.chart.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
const packagedCharts = (/helm package ((?:charts\/[\w-]+ )+)--destination/.exec(chartRunScripts)?.[1] ?? '')
  .trim()
  .split(' ')
  .filter(Boolean)
  .map((path) => basename(path));
const chartRefs = packagedCharts.map(
  (chart) => `${release.env.CHART_REPOSITORY.replace(/^oci:\/\//, '')}/${chart}`,
);

/** The certificate identity of the release workflow run for a tag, as Fulcio writes it. */
const identity = (repo: string, workflowPath: string, ref: string) => `${repo}/${workflowPath}@${ref}`;

/** The shell commands of a Markdown text's sh blocks, continuation lines joined. */
function commandsIn(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]
      .replace(/\s*\\\n\s*/g, ' ')
      .replace(/ {2,}/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
  );
}

/** A flag's value in a command (quoted or bare). */
function flag(command: string, name: string): string | undefined {
  const m = new RegExp(`${name}(?:=|\\s+)(?:'([^']*)'|"([^"]*)"|(\\S+))`).exec(command);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

/** What is wrong with the cosign commands of a document: each must pin the release workflow's identity. */
function cosignProblems(markdown: string): string[] {
  const problems: string[] = [];
  const tag = `refs/tags/v${version}`;
  const releaseIdentity = identity(source, RELEASE_WORKFLOW, tag);
  const impostors = [
    identity(source, '.github/workflows/ci.yml', tag),
    identity(source, RELEASE_WORKFLOW, 'refs/heads/main'),
    identity(source, RELEASE_WORKFLOW, 'refs/pull/1/merge'),
    identity(source.replace(/\/[^/]+$/, '/fork'), RELEASE_WORKFLOW, tag),
    identity(`${source}-fork`, RELEASE_WORKFLOW, tag),
    identity(source.replace('https://github.com/', 'https://github.com/fork/'), RELEASE_WORKFLOW, tag),
  ];
  for (const command of commandsIn(markdown).filter((c) => /^cosign verify/.test(c))) {
    if (flag(command, '--certificate-oidc-issuer') !== OIDC_ISSUER)
      problems.push(`no GitHub issuer: ${command}`);
    const regexp = flag(command, '--certificate-identity-regexp');
    const exact = flag(command, '--certificate-identity')?.replace('$VERSION', version);
    if (regexp === undefined && exact === undefined) problems.push(`no identity: ${command}`);
    const accepts = (id: string) => (regexp !== undefined ? new RegExp(regexp).test(id) : exact === id);
    if (!accepts(releaseIdentity)) problems.push(`rejects ${releaseIdentity}: ${command}`);
    for (const impostor of impostors) if (accepts(impostor)) problems.push(`accepts ${impostor}: ${command}`);
  }
  return problems;
}

/** The ghcr.io references of a document (tags and digests cut) that are not something the release pushes. */
function foreignReferences(markdown: string): string[] {
  const refs = [...markdown.matchAll(/ghcr\.io\/[\w./-]*[\w-]/g)].map((m) => m[0]);
  return refs.filter((ref) => ref !== image && !chartRefs.includes(ref));
}

/** The README's section "Verify what you run", up to the next section. */
function verifySection(): string {
  const readme = read('README.md');
  const start = readme.indexOf('## Verify what you run');
  if (start < 0) throw new Error('README.md has no section "Verify what you run"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe.each([
  ['SECURITY.md', () => read('SECURITY.md')],
  ['README.md, Verify what you run', verifySection],
])('%s', (_doc, load) => {
  const text = load();
  const commands = commandsIn(text);

  it('verifies signatures made by the release workflow at a version tag, and nothing else', () => {
    expect(commands.filter((c) => /^cosign verify/.test(c)).length).toBeGreaterThan(0);
    expect(cosignProblems(text)).toEqual([]);
  });

  it('names only the image and charts that the release pushes', () => {
    expect(foreignReferences(text)).toEqual([]);
    expect(commands.some((c) => c.startsWith(`cosign verify ${image}:$VERSION `))).toBe(true);
  });

  it("checks the provenance in the image's repository", () => {
    const attestation = commands.find((c) => c.startsWith('gh attestation verify'));
    expect(attestation).toContain(`gh attestation verify oci://${image}:$VERSION `);
    expect(flag(attestation as string, '--repo')).toBe(repoSlug);
    const signer = flag(attestation as string, '--signer-workflow');
    if (signer !== undefined) expect(signer).toBe(`${repoSlug}/${RELEASE_WORKFLOW}`);
  });
});

describe('SECURITY.md', () => {
  const text = read('SECURITY.md');
  const commands = commandsIn(text);

  it('verifies the CycloneDX SBOM attestation of the image', () => {
    expect(
      commands.some((c) => c.startsWith(`cosign verify-attestation ${image}:$VERSION --type cyclonedx `)),
    ).toBe(true);
    expect(release.jobs.image.steps.map((s: { run?: string }) => s.run ?? '').join('\n')).toContain(
      'cosign attest --yes --type cyclonedx',
    );
  });

  it('verifies every chart the release pushes', () => {
    expect(chartRefs).toEqual([
      'ghcr.io/metrics-aggregator/charts/metrics-aggregator-lib',
      'ghcr.io/metrics-aggregator/charts/metrics-aggregator',
    ]);
    for (const chart of chartRefs) expect(text).toContain(basename(chart));
    expect(commands.some((c) => c.startsWith(`cosign verify ${chartRefs[1]}:$VERSION `))).toBe(true);
  });

  it('checks the npm package that the release publishes', () => {
    const published = JSON.parse(read('constructs/package.json')).name;
    expect(commands).toContain(`npm install ${published}@$VERSION`);
    expect(commands).toContain('npm audit signatures');
  });

  it('tells how to report a vulnerability privately, in this repository', () => {
    expect(text).toContain(`${source}/security/advisories/new`);
  });
});

describe('the release and what users run', () => {
  it('pushes the image the constructs default to, from the repository the image names', () => {
    expect(read('constructs/src/defaults.ts')).toContain(`\`${image}:\${version}\``);
    expect(source).toBe('https://github.com/metrics-aggregator/metrics-aggregator');
  });
});

describe('the identity check', () => {
  const command = (identityFlag: string) =>
    `\`\`\`sh\ncosign verify ${image}:$VERSION \\\n  ${identityFlag} \\\n  --certificate-oidc-issuer ${OIDC_ISSUER}\n\`\`\`\n`;

  it('rejects an identity regexp that is not anchored to the release workflow at a tag', () => {
    expect(cosignProblems(command(`--certificate-identity-regexp 'release\\.yml'`))).not.toEqual([]);
    expect(cosignProblems(command(`--certificate-identity-regexp '^${source}/'`))).not.toEqual([]);
    expect(
      cosignProblems(
        command(`--certificate-identity-regexp '^${source}/\\.github/workflows/ci\\.yml@refs/tags/v'`),
      ),
    ).not.toEqual([]);
  });

  it('rejects a command without an identity or with another issuer', () => {
    expect(cosignProblems(command(''))).toContain(
      `no identity: cosign verify ${image}:$VERSION --certificate-oidc-issuer ${OIDC_ISSUER}`,
    );
    expect(
      cosignProblems(
        command(`--certificate-identity "${source}/${RELEASE_WORKFLOW}@refs/tags/v$VERSION"`).replace(
          OIDC_ISSUER,
          'https://accounts.google.com',
        ),
      ),
    ).not.toEqual([]);
  });

  it('rejects an image the release does not push', () => {
    expect(foreignReferences('cosign verify ghcr.io/metrics-aggregator/aggregator:$VERSION')).toEqual([
      'ghcr.io/metrics-aggregator/aggregator',
    ]);
  });
});
