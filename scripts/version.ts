// The product's version lives in the root package.json; this script keeps every other place of it
// (scripts/version-places.ts) equal to it.
//
//   node -r @swc-node/register scripts/version.ts sync [--stage]   # write the version everywhere
//   node -r @swc-node/register scripts/version.ts check            # list every place that disagrees
//
// `npm version <new>` and `npm run release` run `sync --stage` after bumping package.json (docs/releasing.md).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  LOCKED_CHARTS,
  NOT_VERSION_PLACES,
  occurrencesIn,
  sourceVersion,
  VERSION_PLACES,
  VERSION_SOURCE,
  type VersionPlace,
} from './version-places';

const repoRoot = resolve(__dirname, '..');

/** A dependency of Chart.yaml or Chart.lock, as Helm reads it. */
interface ChartDependency {
  readonly name: string;
  readonly version?: string;
  readonly repository: string;
  readonly condition?: string;
  readonly tags?: string[];
  readonly enabled?: boolean;
  readonly 'import-values'?: unknown[];
  readonly alias?: string;
}

/**
 * The digest `helm dependency update` writes into Chart.lock and `helm dependency build` checks: the
 * SHA-256 of Go's JSON of [Chart.yaml's dependencies, the lock's] (Helm's resolver.HashReq), fields in the
 * order of Helm's chart.Dependency, empty ones omitted.
 */
export function chartLockDigest(
  requested: readonly ChartDependency[],
  locked: readonly ChartDependency[],
): string {
  const asGo = (d: ChartDependency) => ({
    name: d.name,
    version: d.version || undefined,
    repository: d.repository ?? '',
    condition: d.condition || undefined,
    tags: d.tags?.length ? d.tags : undefined,
    enabled: d.enabled || undefined,
    'import-values': d['import-values']?.length ? d['import-values'] : undefined,
    alias: d.alias || undefined,
  });
  // Go's encoder escapes <, > and & in strings.
  const json = JSON.stringify([requested.map(asGo), locked.map(asGo)]).replace(
    /[<>&]/g,
    (c) => `\\u00${c.charCodeAt(0).toString(16)}`,
  );
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** The digest a chart's Chart.lock must hold, from its Chart.yaml and Chart.lock as they are. */
function expectedLockDigest(root: string, chart: string): string {
  const read = (file: string) => parse(readFileSync(join(root, chart, file), 'utf8'));
  return chartLockDigest(read('Chart.yaml').dependencies ?? [], read('Chart.lock').dependencies ?? []);
}

const DIGEST_LINE = /^digest: (\S+)$/m;

/** What disagrees with the root version, one line each: `file:line: what is X, package.json says Y`. */
export function checkVersions(root = repoRoot): string[] {
  const version = sourceVersion(root);
  const problems: string[] = [];
  for (const place of VERSION_PLACES) {
    const occurrences = occurrencesIn(place, readFileSync(join(root, place.file), 'utf8'));
    if (place.count === undefined ? occurrences.length === 0 : occurrences.length !== place.count) {
      problems.push(
        `${place.file}: expected ${place.count ?? 'at least one'} ${place.what} (/${place.pattern.source}/), found ${occurrences.length}`,
      );
    }
    for (const o of occurrences) {
      if (o.version !== version) {
        problems.push(
          `${place.file}:${o.line}: ${place.what} is ${o.version}, ${VERSION_SOURCE} says ${version}`,
        );
      }
    }
  }
  for (const chart of LOCKED_CHARTS) {
    const lock = `${chart}/Chart.lock`;
    const text = readFileSync(join(root, lock), 'utf8');
    const digest = DIGEST_LINE.exec(text)?.[1];
    const expected = expectedLockDigest(root, chart);
    if (digest !== expected) {
      const line = text.slice(0, text.search(DIGEST_LINE)).split('\n').length;
      problems.push(`${lock}:${line}: digest is ${digest}, Chart.yaml's dependencies give ${expected}`);
    }
  }
  return problems.concat(unlistedOccurrences(root, version));
}

/**
 * Lines of tracked files that hold the version and are neither a place nor a known exception: a place
 * nobody listed, which a bump would leave behind.
 */
export function unlistedOccurrences(root: string, version: string): string[] {
  const escaped = version.replace(/\./g, '\\.');
  let hits: string;
  try {
    hits = execFileSync('git', ['grep', '-n', '-I', '-E', `(^|[^0-9.])${escaped}([^0-9]|$)`], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // git grep exits 1 when nothing matches.
    if ((error as { status?: number }).status === 1) return [];
    throw new Error(`git grep failed in ${root} (is it a git work tree?): ${(error as Error).message}`);
  }
  const placeLines = new Set<string>();
  for (const file of new Set(VERSION_PLACES.map((p) => p.file))) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const p of VERSION_PLACES.filter((q) => q.file === file)) {
      for (const o of occurrencesIn(p, text)) placeLines.add(`${file}:${o.line}`);
    }
  }
  const unlisted: string[] = [];
  for (const hit of hits.split('\n').filter(Boolean)) {
    const [, file, line, text] = /^(.*?):(\d+):(.*)$/.exec(hit) ?? [];
    if (placeLines.has(`${file}:${line}`)) continue;
    if (NOT_VERSION_PLACES.some((n) => n.file === file && (!n.line || n.line.test(text)))) continue;
    unlisted.push(
      `${file}:${line}: holds ${version} but is not a place of scripts/version-places.ts (list it there or as an exception)`,
    );
  }
  return unlisted;
}

/** Writes `version` into each occurrence of `places` in `text`. */
function rewrite(text: string, places: readonly VersionPlace[], version: string): string {
  const spans = places.flatMap((p) => occurrencesIn(p, text)).sort((a, b) => b.start - a.start);
  let out = text;
  for (const o of spans) out = out.slice(0, o.start) + version + out.slice(o.end);
  return out;
}

/**
 * Writes the root version into every place, recomputes the Chart.lock digests and regenerates
 * examples/deployment.yaml; returns the files it changed (none when all agree already).
 */
export function syncVersions(root = repoRoot, options: { stage?: boolean } = {}): string[] {
  const version = sourceVersion(root);
  const changed = new Set<string>();
  for (const file of new Set(VERSION_PLACES.map((p) => p.file))) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const synced = rewrite(
      text,
      VERSION_PLACES.filter((p) => p.file === file),
      version,
    );
    if (synced !== text) {
      writeFileSync(path, synced);
      changed.add(file);
    }
  }
  for (const chart of LOCKED_CHARTS) {
    const lock = `${chart}/Chart.lock`;
    const path = join(root, lock);
    const text = readFileSync(path, 'utf8');
    const digest = expectedLockDigest(root, chart);
    if (DIGEST_LINE.exec(text)?.[1] === digest && !changed.has(lock)) continue;
    // As `helm dependency update` would write it: the new digest, generated now.
    const synced = text
      .replace(DIGEST_LINE, `digest: ${digest}`)
      .replace(/^generated: .*$/m, `generated: "${new Date().toISOString()}"`);
    writeFileSync(path, synced);
    changed.add(lock);
  }
  if (changed.size > 0) {
    // The generator is the truth; the rewrite above only spares a stale file in between.
    execFileSync('bash', [join(root, 'examples', 'update-deployment.sh')], { cwd: root, stdio: 'pipe' });
  }
  if (options.stage && changed.size > 0) {
    execFileSync('git', ['add', '--', VERSION_SOURCE, ...changed, 'examples/deployment.yaml'], {
      cwd: root,
      stdio: 'pipe',
    });
  }
  return [...changed];
}

function main(argv: readonly string[]): number {
  const [command, ...flags] = argv;
  if (command === 'sync') {
    const changed = syncVersions(repoRoot, { stage: flags.includes('--stage') });
    const version = sourceVersion(repoRoot);
    console.log(
      changed.length
        ? `version ${version} written to:\n  ${changed.join('\n  ')}`
        : `every place already says ${version}`,
    );
    return 0;
  }
  if (command === 'check') {
    const problems = checkVersions(repoRoot);
    if (problems.length === 0) {
      console.log(`every place says ${sourceVersion(repoRoot)}`);
      return 0;
    }
    console.error(`${problems.length} place(s) disagree with ${VERSION_SOURCE}:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.error('usage: node -r @swc-node/register scripts/version.ts sync [--stage] | check');
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
