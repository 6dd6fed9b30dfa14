// Every place of the product's version outside its one source, the root package.json: what
// scripts/version.ts writes (`sync`) and checks (`check`), and test/version.test.ts holds to it.
// A place is a file and a pattern whose `version` group is the version; the pattern carries enough
// context to match that one line only (a YAML `version:` key is not always the product's).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file whose `version` every other place repeats. */
export const VERSION_SOURCE = 'package.json';

/** A semantic version as npm writes one (no build metadata: an image tag cannot hold a `+`). */
const V = '(?<version>\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?)';

/** One place of the version. */
export interface VersionPlace {
  /** Path relative to the repository root. */
  readonly file: string;
  /** What the version says there, for messages. */
  readonly what: string;
  /** Matches the place; its `version` group is the version. */
  readonly pattern: RegExp;
  /** How many times the pattern matches; `undefined`: at least once. */
  readonly count?: number;
  /** Written by a generator from the other places: `sync` rewrites it as the generator would. */
  readonly generatedBy?: string;
}

/** A place matched `count` times; `'any'`: at least once. */
const place = (file: string, what: string, pattern: string, count: number | 'any' = 1): VersionPlace => ({
  file,
  what,
  pattern: new RegExp(pattern, 'dgm'),
  count: count === 'any' ? undefined : count,
});

/** The image the Dockerfile builds, as a manifest names it. */
const IMAGE = 'ghcr.io/metrics-aggregator/metrics-aggregator:';

/** A workspace's entry in package-lock.json (lockfileVersion 3, as npm writes it). */
const lockPackage = (path: string, name: string) =>
  place(
    'package-lock.json',
    `the lock's entry of ${path || 'the root'}`,
    `^    "${path}": \\{\\n      "name": "${name}",\\n      "version": "${V}"`,
  );

export const VERSION_PLACES: readonly VersionPlace[] = [
  place('aggregator/package.json', 'the runtime package (its `--version`)', `^  "version": "${V}"`),
  place('constructs/package.json', 'the construct library (its default image tag)', `^  "version": "${V}"`),
  place('package-lock.json', "the lock's root version", `^  "version": "${V}"`),
  lockPackage('', 'metrics-aggregator-monorepo'),
  lockPackage('aggregator', 'metrics-aggregator'),
  lockPackage('constructs', 'cdk8s-metrics-aggregator'),
  place('aggregator/Dockerfile', "the image's version label (build argument default)", `^ARG VERSION=${V}$`),
  place('charts/metrics-aggregator/Chart.yaml', 'the chart version', `^version: ${V}$`),
  place('charts/metrics-aggregator/Chart.yaml', 'the app version', `^appVersion: ${V}$`),
  place(
    'charts/metrics-aggregator/Chart.yaml',
    'the library dependency',
    `^  - name: metrics-aggregator-lib\\n    version: ${V}$`,
  ),
  {
    ...place(
      'charts/metrics-aggregator/Chart.lock',
      'the locked library',
      `^- name: metrics-aggregator-lib\\n  repository: \\S+\\n  version: ${V}$`,
    ),
    generatedBy: 'helm dependency update',
  },
  place('charts/metrics-aggregator-lib/Chart.yaml', 'the chart version', `^version: ${V}$`),
  place('charts/metrics-aggregator-lib/Chart.yaml', 'the app version', `^appVersion: ${V}$`),
  place(
    'charts/metrics-aggregator-lib/templates/_config.tpl',
    'the default image tag',
    `"metrics-aggregator-lib\\.defaultImageTag" -\\}\\}${V}\\{\\{- end -\\}\\}`,
  ),
  place(
    'charts/metrics-aggregator-lib/README.md',
    'the dependency in the usage example',
    `^    version: ${V}\\n    repository: file://`,
  ),
  place(
    'charts/metrics-aggregator-lib/ci/consumer/Chart.yaml',
    'the library dependency',
    `^  - name: metrics-aggregator-lib\\n    version: ${V}$`,
  ),
  {
    ...place(
      'charts/metrics-aggregator-lib/ci/consumer/Chart.lock',
      'the locked library',
      `^- name: metrics-aggregator-lib\\n  repository: \\S+\\n  version: ${V}$`,
    ),
    generatedBy: 'helm dependency update',
  },
  place('kustomize/components/internal/sidecar/sidecar.yaml', 'the sidecar image', `^ +image: ${IMAGE}${V}$`),
  {
    ...place('examples/deployment.yaml', 'the sidecar image', `^ +image: ${IMAGE}${V}$`),
    generatedBy: 'bash examples/update-deployment.sh',
  },
  {
    ...place(
      'constructs/test/__snapshots__/metrics-aggregator.test.ts.snap',
      'the sidecar image',
      `"image": "${IMAGE}${V}"`,
      'any',
    ),
    generatedBy: 'jest --updateSnapshot',
  },
  place('README.md', 'the image in the container example', `^    image: metrics-aggregator:${V}$`),
];

/**
 * The charts whose Chart.lock holds a digest of their dependencies: Helm refuses a lock whose digest
 * is not that of Chart.yaml's dependencies, so a version change in either recomputes it.
 */
export const LOCKED_CHARTS: readonly string[] = [
  'charts/metrics-aggregator',
  'charts/metrics-aggregator-lib/ci/consumer',
];

/** A file, or the lines of it that `line` matches, where the version's digits are not the product's. */
export interface NotAVersionPlace {
  readonly file: string;
  readonly line?: RegExp;
  readonly why: string;
}

/**
 * Files where the version appears and is not the product's, each with why. The test fails on any other
 * file holding the version that is not a place above: a new place must be listed here or there.
 */
export const NOT_VERSION_PLACES: readonly NotAVersionPlace[] = [
  { file: VERSION_SOURCE, line: /^ {2}"version": /, why: 'the source itself' },
  { file: 'CHANGELOG.md', why: 'release history: each section names the version it released' },
  {
    file: 'package-lock.json',
    why: 'other packages may have the same version; the workspace entries are places',
  },
  { file: 'test/k8s-validate/go.sum', why: 'checksums of Go modules, some of that version' },
  { file: 'monitoring/tests/rules.test.yaml', why: 'a sample build_info series of a unit test' },
  { file: 'test/k8s-validate/testdata/deployment-restricted.yaml', why: 'a fixture of the validator' },
  {
    file: 'charts/metrics-aggregator-lib/ci/consumer/Chart.yaml',
    line: /^version: /,
    why: "the version of a user's chart, not of the library it uses",
  },
  { file: 'test/version.test.ts', why: 'the versions the bump test writes into its copy of the tree' },
];

/** One occurrence of a place in a file. */
export interface Occurrence {
  readonly place: VersionPlace;
  /** 1-based line of the version. */
  readonly line: number;
  readonly version: string;
  /** Offsets of the version in the file's text. */
  readonly start: number;
  readonly end: number;
}

/** The occurrences of a place in `text` (the file's content). */
export function occurrencesIn(place: VersionPlace, text: string): Occurrence[] {
  return [...text.matchAll(place.pattern)].map((match) => {
    const [start, end] = match.indices?.groups?.version ?? [0, 0];
    const line = text.slice(0, start).split('\n').length;
    return { place, line, version: match.groups?.version ?? '', start, end };
  });
}

/** The version of the source, in the repository at `root`. */
export function sourceVersion(root: string): string {
  const { version } = JSON.parse(readFileSync(join(root, VERSION_SOURCE), 'utf8')) as { version?: string };
  if (!version) throw new Error(`${VERSION_SOURCE} has no version`);
  return version;
}
