// What METRICS_ENDPOINTS and the config file share: the rules for upstream names, URLs and label
// names, and the step that turns a validated upstream into its final, defaulted, frozen form.

import { describe } from './_values';
import type { Label, UpstreamConfig, UpstreamDefaults, UpstreamLimits, UpstreamTls } from './config';
import { ConfigError } from './config-error';

/** An upstream as a source describes it: validated, but without the global defaults applied yet. */
export interface UpstreamSpec {
  readonly name: string;
  readonly url: string;
  /** Where it was defined, for messages: `METRICS_ENDPOINTS` or `config file /x.yaml: upstreams.api`. */
  readonly where: string;
  readonly timeoutMs?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly bearerTokenFile?: string;
  readonly tls?: UpstreamTls;
  readonly labels: readonly Label[];
  readonly keep: readonly RegExp[];
  readonly drop: readonly RegExp[];
  readonly limits: Partial<UpstreamLimits>;
}

/**
 * An upstream name becomes the origin label value of its series: any UTF-8 text is valid there,
 * but a name must be non-empty, encodable as UTF-8 (no lone surrogate), and printable (no control
 * character, no leading or trailing space) so that it reads the same in PromQL, logs and YAML.
 */
export function validateUpstreamName(name: string, at: string): string {
  const problem = nameProblem(name);
  if (problem)
    throw new ConfigError('INVALID_NAME', `${at}: upstream name ${JSON.stringify(name)} ${problem}`);
  return name;
}

/** What is wrong with an origin name, or undefined when it is fine. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (/\p{Surrogate}/u.test(name)) return 'is not valid UTF-8 (it holds a lone surrogate)';
  const control = /\p{Cc}/u.exec(name);
  if (control) return `contains the control character U+${codePoint(control[0])}; use printable characters`;
  if (name.trim() !== name) return 'starts or ends with a space';
  return undefined;
}

function codePoint(char: string): string {
  return (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

/**
 * The normalised href of an upstream URL. Like the Go metrics-aggregator, a URL without a path
 * (or with just `/`) scrapes `/metrics`.
 */
export function validateUpstreamUrl(raw: string, at: string): string {
  const fail = (problem: string): never => {
    throw new ConfigError('INVALID_URL', `${at}: ${describe(raw)} ${problem}`);
  };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return fail(
      `is not a URL (expected e.g. http://localhost:8080/metrics${raw.includes('://') ? '' : '; add http://'})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const hint = raw.includes('://') ? '' : '; add http://';
    fail(`is not an http or https URL (expected e.g. http://localhost:8080/metrics${hint})`);
  }
  if (url.username !== '' || url.password !== '') {
    fail('holds credentials: they would show in logs; send them as a header from the config file instead');
  }
  if (url.hash !== '') fail('has a #fragment, which is never sent to the server; remove it');
  if (url.pathname === '/') url.pathname = '/metrics';
  return url.href;
}

/**
 * A Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`), not reserved: `__*` is Prometheus's own,
 * `le` and `quantile` belong to histogram and summary series, which an added label would corrupt.
 */
export function labelNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return 'is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)';
  if (name.startsWith('__')) return 'is reserved: names starting with "__" belong to Prometheus';
  if (name === 'le' || name === 'quantile') return 'is reserved for histogram and summary series';
  return undefined;
}

/** The upstream with the global defaults filled in, frozen all the way down. */
export function completeUpstream(spec: UpstreamSpec, defaults: UpstreamDefaults): UpstreamConfig {
  const limits: UpstreamLimits = Object.freeze({
    maxBodyBytes: spec.limits.maxBodyBytes ?? defaults.limits.maxBodyBytes,
    maxCompressedBytes: spec.limits.maxCompressedBytes ?? defaults.limits.maxCompressedBytes,
    maxSamples: spec.limits.maxSamples ?? defaults.limits.maxSamples,
    maxLineBytes: spec.limits.maxLineBytes ?? defaults.limits.maxLineBytes,
  });
  return Object.freeze({
    name: spec.name,
    url: spec.url,
    timeoutMs: spec.timeoutMs ?? defaults.timeoutMs,
    headers: Object.freeze({ ...spec.headers }),
    ...(spec.bearerTokenFile === undefined ? {} : { bearerTokenFile: spec.bearerTokenFile }),
    ...(spec.tls === undefined ? {} : { tls: Object.freeze({ ...spec.tls }) }),
    labels: Object.freeze(spec.labels.map((label) => Object.freeze({ ...label }))),
    keep: Object.freeze([...spec.keep]),
    drop: Object.freeze([...spec.drop]),
    limits,
  });
}

/** A bare upstream (METRICS_ENDPOINTS gives only a name and a URL). */
export function bareUpstream(name: string, url: string, where: string): UpstreamSpec {
  return { name, url, where, headers: {}, labels: [], keep: [], drop: [], limits: {} };
}
