// Runs test/k8s-validate (Kubernetes' own validation, offline) on manifests, for the tests of everything
// that emits them: constructs, examples, the chart, kustomize. See test/k8s-validate/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');
/** Where `bash scripts/go-tools.sh` builds the validator. */
export const K8S_VALIDATE_BIN = resolve(repoRoot, '.tools', 'bin', 'k8s-validate');
/** The upstream CRDs (PodMonitor, PeerAuthentication, …), checked out beside the repository. */
export const SHARED_CRDS = resolve(repoRoot, '..', 'shared', 'crds');

/** One object of the input and what the validator found wrong with it (README "JSON output"). */
export interface ValidatedObject {
  readonly file: string;
  /** Counts from 0 over the non-empty documents of `file`. */
  readonly index: number;
  /** The 1-based line where the document starts. */
  readonly line: number;
  /** Set only on members of a List. */
  readonly item?: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** Empty when the object is valid. */
  readonly errors: string[];
}

export interface K8sValidateOptions {
  /** Pod Security Admission level for objects with a pod template; default `restricted`. */
  readonly podSecurity?: 'restricted' | 'baseline' | 'privileged' | 'none';
  /** CRD directories; default the shared CRDs. */
  readonly crds?: readonly string[];
}

/** Validates every object of the given YAML files; throws only when the validator cannot run. */
export function k8sValidate(files: readonly string[], options: K8sValidateOptions = {}): ValidatedObject[] {
  if (files.length === 0) throw new Error('k8sValidate: no file given (it would read stdin)');
  return run([...files], undefined, options);
}

/** Validates every object of a multi-document YAML text (reported as file `<stdin>`). */
export function k8sValidateYaml(yaml: string, options: K8sValidateOptions = {}): ValidatedObject[] {
  return run(['-'], yaml, options);
}

/** One line per error, `file: Kind/name: error`, for an `expect(...).toEqual([])` that reads well when it fails. */
export function validationErrors(results: readonly ValidatedObject[]): string[] {
  return results.flatMap((r) =>
    r.errors.map((e) => `${r.file}: ${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}: ${e}`),
  );
}

function run(inputs: string[], stdin: string | undefined, options: K8sValidateOptions): ValidatedObject[] {
  if (!existsSync(K8S_VALIDATE_BIN)) {
    throw new Error(
      `k8s-validate is not built (${K8S_VALIDATE_BIN} is missing): run bash scripts/go-tools.sh (needs Go 1.23+)`,
    );
  }
  const crds = options.crds ?? [SHARED_CRDS];
  const args = [
    ...crds.flatMap((dir) => ['--crds', dir]),
    '--pod-security',
    options.podSecurity ?? 'restricted',
    '--format',
    'json',
    ...inputs,
  ];
  let stdout: string;
  try {
    stdout = execFileSync(K8S_VALIDATE_BIN, args, { input: stdin, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const failed = error as { status?: number | null; stdout?: string; stderr?: string };
    // Exit 1 means "some object is invalid": the report is on stdout. Anything else is a usage error.
    if (failed.status !== 1 || !failed.stdout) {
      throw new Error(
        `k8s-validate ${args.join(' ')} failed (exit ${failed.status}): ${failed.stderr?.trim() || String(error)}`,
      );
    }
    stdout = failed.stdout;
  }
  return JSON.parse(stdout) as ValidatedObject[];
}
