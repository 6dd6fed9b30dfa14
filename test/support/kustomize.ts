// Runs the pinned kustomize (what `kubectl kustomize` bundles) on the kustomize/ tree, for its tests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Yaml } from 'cdk8s';
import type { Manifest } from './wiring';

export const repoRoot = resolve(__dirname, '..', '..');
/** Where `bash scripts/go-tools.sh` builds kustomize v5.5.0, the one kubectl 1.32 bundles. */
export const KUSTOMIZE_BIN = resolve(repoRoot, '.tools', 'bin', 'kustomize');

/** A built kustomization: the YAML kustomize printed and its objects. */
export interface Built {
  readonly yaml: string;
  readonly manifests: Manifest[];
}

/** `kustomize build dir`; throws with kustomize's own message when the build fails. */
export function kustomizeBuild(dir: string): Built {
  if (!existsSync(KUSTOMIZE_BIN)) {
    throw new Error(`kustomize is not built (${KUSTOMIZE_BIN} is missing): run bash scripts/go-tools.sh`);
  }
  let yaml: string;
  try {
    yaml = execFileSync(KUSTOMIZE_BIN, ['build', dir], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const failed = error as { stderr?: string };
    throw new Error(`kustomize build ${dir} failed: ${failed.stderr?.trim() || String(error)}`);
  }
  return { yaml, manifests: parseYaml(yaml) };
}

/**
 * The manifests with each `valueFrom.configMapKeyRef` of a container's env replaced by the value the
 * referenced ConfigMap of the same build holds, as the kubelet resolves it.
 */
export function resolveConfigMapRefs(manifests: readonly Manifest[]): Manifest[] {
  const copy: Manifest[] = JSON.parse(JSON.stringify(manifests));
  const configMaps = copy.filter((m) => m.kind === 'ConfigMap');
  for (const m of copy) {
    const pod = m.spec?.template?.spec;
    for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      for (const env of container.env ?? []) {
        const ref = env.valueFrom?.configMapKeyRef;
        if (!ref) continue;
        const source = configMaps.find(
          (c) => c.metadata.name === ref.name && c.metadata.namespace === m.metadata.namespace,
        );
        const value = source?.data?.[ref.key];
        if (value === undefined) {
          throw new Error(
            `${m.kind}/${m.metadata.name}: env ${env.name} refers to ${ref.name}/${ref.key}, not in the build`,
          );
        }
        delete env.valueFrom;
        env.value = value;
      }
    }
  }
  return copy;
}

/** A throwaway directory of files: `files(dir)` maps their paths, relative to it, to their contents. */
export function fixture(files: (dir: string) => Record<string, string>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  for (const [path, content] of Object.entries(files(dir))) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function parseYaml(yaml: string): Manifest[] {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-out-'));
  try {
    const file = join(dir, 'out.yaml');
    writeFileSync(file, yaml);
    return Yaml.load(file).filter((m: Manifest | null) => m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
