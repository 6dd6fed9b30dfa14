#!/usr/bin/env bash
# Writes the CycloneDX JSON SBOM of what the image ships: the aggregator and the production dependency
# tree its bundle is built from, as installed (run after `npm ci`).
# Usage: scripts/sbom.sh [out-file]   (stdout without a file)
#
# `npm sbom --omit dev` is not used: it drops a production package whenever a dev tool of the monorepo
# also depends on it (npm/cli#7909; here yaml, yargs and all of yargs' dependencies). So npm writes the
# workspace's whole tree and this script keeps what the aggregator reaches through its `dependencies`,
# and describes the aggregator itself (not the private monorepo root) as the SBOM's subject.
set -euo pipefail
out="${1:-}"
case "$out" in '' | /*) ;; *) out="$PWD/$out" ;; esac # resolved before the cd below
cd "$(dirname "$0")/.."

full="$(mktemp)"
sbom="$(mktemp)"
trap 'rm -f "$full" "$sbom"' EXIT

npm sbom --sbom-format cyclonedx --sbom-type application --workspace aggregator >"$full"

node - "$full" aggregator/package.json >"$sbom" <<'JS'
const { readFileSync } = require('node:fs');
const [bomFile, manifestFile] = process.argv.slice(2);
const bom = JSON.parse(readFileSync(bomFile, 'utf8'));
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));

const subjectRef = `${manifest.name}@${manifest.version}`;
const subject = bom.components.find((c) => c['bom-ref'] === subjectRef);
if (!subject) throw new Error(`npm sbom lists no component ${subjectRef}`);
const byRef = new Map(bom.components.map((c) => [c['bom-ref'], c]));
const dependsOn = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));

// Installed packages carry only their runtime edges; the aggregator's own devDependencies are cut here.
const devNames = new Set(Object.keys(manifest.devDependencies ?? {}));
const runtime = new Set();
const queue = (dependsOn.get(subjectRef) ?? []).filter((ref) => !devNames.has(byRef.get(ref)?.name));
while (queue.length > 0) {
  const ref = queue.pop();
  if (runtime.has(ref)) continue;
  runtime.add(ref);
  queue.push(...(dependsOn.get(ref) ?? []));
}

// npm names a workspace after its folder; the image ships the package, so it takes the package name.
bom.metadata.component = { ...subject, type: 'application', name: manifest.name };
bom.components = bom.components.filter((c) => runtime.has(c['bom-ref']));
bom.dependencies = bom.dependencies
  .filter((d) => d.ref === subjectRef || runtime.has(d.ref))
  .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((ref) => runtime.has(ref)) }));
process.stdout.write(`${JSON.stringify(bom, null, 2)}\n`);
JS

# Written only once complete: a failed run leaves no half SBOM for the release to attach.
if [ -n "$out" ]; then cat "$sbom" >"$out"; else cat "$sbom"; fi
