// The config file (--config, METRICS_AGGREGATOR_CONFIG): per-upstream options and any global setting.
// A file whose first non-blank character is `{` is JSON; any other file is YAML (1.2, core schema).
//
//   upstreams:
//     api:
//       url: http://localhost:8080/metrics
//       timeout: 5s
//       headers: {X-Token: abc}
//       labels: {team: payments}
//       drop: ["^go_gc_.*"]
//     worker: http://localhost:9100/metrics     # just the URL
//   logLevel: debug                              # any global setting, by its camelCase flag name
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { JsonError, parseJson } from './_json';
import { didYouMean } from './_suggest';
import {
  bareUpstream,
  labelNameProblem,
  type UpstreamSpec,
  validateUpstreamName,
  validateUpstreamUrl,
} from './_upstream';
import { describe, isMapping, parseBoolean, parseByteSize, parseCount, parseDuration } from './_values';
import type { Label, UpstreamLimits, UpstreamTls } from './config';
import { ConfigError } from './config-error';
import { OPTIONS, type OptionKey, type OptionValue } from './options';

/** The global settings a config file sets. */
export type FileSettings = { readonly [K in OptionKey]?: OptionValue<K> };

/** A config file, validated. */
export interface ConfigFile {
  readonly path: string;
  readonly settings: FileSettings;
  /** In the file's order, without the global defaults applied. */
  readonly upstreams: readonly UpstreamSpec[];
}

/** Reads and validates a config file; throws a ConfigError naming the file and the place in it. */
export function readConfigFile(path: string, readFile: (path: string) => string): ConfigFile {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError('INVALID_FILE', `config file ${path}: cannot be read: ${(error as Error).message}`);
  }
  return parseConfigFile(text, path);
}

/** Validates the text of a config file; `path` only names it in messages. */
export function parseConfigFile(text: string, path: string): ConfigFile {
  const source = `config file ${path}`;
  const data = parseText(text.replace(/^\uFEFF/, ''), source);
  if (data === null || data === undefined) {
    throw new ConfigError(
      'INVALID_FILE',
      `${source}: is empty; expected a mapping such as "upstreams: {api: http://localhost:8080/metrics}"`,
    );
  }
  if (!isMapping(data)) {
    throw new ConfigError(
      'INVALID_FILE',
      `${source}: expected a mapping at the top level, got ${describe(data)}`,
    );
  }
  const settingKeys = (Object.keys(OPTIONS) as OptionKey[]).filter((key) => OPTIONS[key].inFile);
  checkKeys(data, [...settingKeys, 'upstreams'], source, []);
  const settings: Record<string, unknown> = {};
  for (const key of settingKeys) {
    if (Object.hasOwn(data, key)) settings[key] = OPTIONS[key].parse(data[key], `${source}: ${key}`);
  }
  const upstreams = Object.hasOwn(data, 'upstreams') ? readUpstreams(data.upstreams, source) : [];
  return Object.freeze({
    path,
    settings: Object.freeze(settings) as FileSettings,
    upstreams: Object.freeze(upstreams),
  });
}

function parseText(text: string, source: string): unknown {
  if (text.trimStart().startsWith('{')) {
    try {
      return parseJson(text);
    } catch (error) {
      if (!(error instanceof JsonError)) throw error;
      if (error.duplicate)
        throw duplicateKey(source, error.duplicate.path, error.duplicate.key, error.position);
      throw new ConfigError('INVALID_JSON', `${source}: invalid JSON: ${error.message}`);
    }
  }
  const lineCounter = new LineCounter();
  // Duplicate keys are found below, to name them; the 1.1 tags (!!binary, !!set...) are refused;
  // merge keys (<<: *common) are common enough in Kubernetes YAML to be honoured.
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: false,
    resolveKnownTags: false,
    merge: true,
    logLevel: 'error', // 'silent' would also drop the multiple-documents error
  });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    throw new ConfigError(
      'INVALID_FILE',
      `${source}: invalid YAML: ${problem.message.split('\n')[0].replace(/:$/, '')}`,
    );
  }
  const duplicate = findDuplicateKey(doc.contents, []);
  if (duplicate) {
    const { line, col } = lineCounter.linePos(duplicate.offset);
    throw duplicateKey(source, duplicate.path, duplicate.key, `line ${line}, column ${col}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

function findDuplicateKey(
  node: unknown,
  path: (string | number)[],
): { path: (string | number)[]; key: string; offset: number } | undefined {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (seen.has(key)) return { path, key, offset: isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0 };
      seen.add(key);
      const found = findDuplicateKey(pair.value, [...path, key]);
      if (found) return found;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const found = findDuplicateKey(node.items[i], [...path, i]);
      if (found) return found;
    }
  }
  return undefined;
}

function duplicateKey(
  source: string,
  path: readonly (string | number)[],
  key: string,
  position: string,
): ConfigError {
  if (path.length === 1 && path[0] === 'upstreams') {
    return new ConfigError(
      'DUPLICATE_NAME',
      `${source}: upstreams: upstream name ${JSON.stringify(key)} appears twice (${position})`,
    );
  }
  const where = path.length === 0 ? '' : `${formatPath(path)}: `;
  return new ConfigError(
    'INVALID_FILE',
    `${source}: ${where}key ${JSON.stringify(key)} appears twice (${position})`,
  );
}

/** `upstreams.api.timeout`, `upstreams["my.api"].keep[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[a-zA-Z0-9_-]+$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

function checkKeys(
  data: Record<string, unknown>,
  known: readonly string[],
  source: string,
  path: string[],
): void {
  for (const key of Object.keys(data)) {
    if (known.includes(key)) continue;
    const hint =
      key === 'metricsEndpoints'
        ? ' (METRICS_ENDPOINTS is an environment variable; list upstreams under "upstreams:" instead)'
        : didYouMean(key, known);
    throw new ConfigError('UNKNOWN_KEY', `${source}: ${formatPath([...path, key])}: unknown key${hint}`);
  }
}

const UPSTREAM_KEYS = [
  'url',
  'timeout',
  'headers',
  'bearerTokenFile',
  'tls',
  'labels',
  'keep',
  'drop',
  'maxBodyBytes',
  'maxCompressedBytes',
  'maxSamples',
  'maxLineBytes',
] as const;
const TLS_KEYS = ['caFile', 'serverName', 'insecureSkipVerify'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readUpstreams(raw: unknown, source: string): UpstreamSpec[] {
  if (!isMapping(raw)) {
    throw new ConfigError(
      'INVALID_TYPE',
      `${source}: upstreams: expected a mapping of upstream names to their settings (api: {url: http://localhost:8080/metrics}), got ${describe(raw)}`,
    );
  }
  return Object.entries(raw).map(([name, value]) => readUpstream(name, value, source));
}

function readUpstream(name: string, raw: unknown, source: string): UpstreamSpec {
  validateUpstreamName(name, `${source}: upstreams`);
  const path = ['upstreams', name];
  const where = `${source}: ${formatPath(path)}`;
  const at = (...rest: (string | number)[]) => `${source}: ${formatPath([...path, ...rest])}`;
  if (typeof raw === 'string') return bareUpstream(name, validateUpstreamUrl(raw, where), where);
  if (!isMapping(raw)) {
    throw new ConfigError(
      'INVALID_TYPE',
      `${where}: expected a URL or a mapping with url:, got ${describe(raw)}`,
    );
  }
  checkKeys(raw, UPSTREAM_KEYS, source, path);
  if (!Object.hasOwn(raw, 'url')) throw new ConfigError('INVALID_URL', `${where}: url is missing`);
  if (typeof raw.url !== 'string') {
    throw new ConfigError('INVALID_TYPE', `${at('url')}: expected a URL string, got ${describe(raw.url)}`);
  }
  const url = validateUpstreamUrl(raw.url, at('url'));

  const spec: { -readonly [K in keyof UpstreamSpec]: UpstreamSpec[K] } = bareUpstream(name, url, where);
  if (Object.hasOwn(raw, 'timeout'))
    spec.timeoutMs = parseDuration(raw.timeout, at('timeout'), { allowZero: false });
  if (Object.hasOwn(raw, 'headers')) spec.headers = readHeaders(raw.headers, at);
  if (Object.hasOwn(raw, 'bearerTokenFile')) {
    spec.bearerTokenFile = readString(raw.bearerTokenFile, at('bearerTokenFile'), 'a file path');
    const authorization = Object.keys(spec.headers).find(
      (header) => header.toLowerCase() === 'authorization',
    );
    if (authorization) {
      throw new ConfigError(
        'INVALID_VALUE',
        `${where}: bearerTokenFile and headers.${authorization} both set the Authorization header; keep one`,
      );
    }
  }
  if (Object.hasOwn(raw, 'tls')) {
    if (!url.startsWith('https:')) {
      throw new ConfigError(
        'INVALID_URL',
        `${at('tls')}: TLS options apply only to https URLs, and url is ${url}`,
      );
    }
    spec.tls = readTls(raw.tls, source, [...path, 'tls']);
  }
  if (Object.hasOwn(raw, 'labels')) spec.labels = readLabels(raw.labels, at);
  if (Object.hasOwn(raw, 'keep')) spec.keep = readPatterns(raw.keep, at, 'keep');
  if (Object.hasOwn(raw, 'drop')) spec.drop = readPatterns(raw.drop, at, 'drop');
  const limits: { -readonly [K in keyof UpstreamLimits]?: number } = {};
  if (Object.hasOwn(raw, 'maxBodyBytes'))
    limits.maxBodyBytes = parseByteSize(raw.maxBodyBytes, at('maxBodyBytes'));
  if (Object.hasOwn(raw, 'maxCompressedBytes')) {
    limits.maxCompressedBytes = parseByteSize(raw.maxCompressedBytes, at('maxCompressedBytes'));
  }
  if (Object.hasOwn(raw, 'maxSamples')) limits.maxSamples = parseCount(raw.maxSamples, at('maxSamples'));
  if (Object.hasOwn(raw, 'maxLineBytes'))
    limits.maxLineBytes = parseByteSize(raw.maxLineBytes, at('maxLineBytes'));
  spec.limits = limits;
  return spec;
}

function readString(raw: unknown, at: string, what: string): string {
  if (typeof raw !== 'string')
    throw new ConfigError('INVALID_TYPE', `${at}: expected ${what}, got ${describe(raw)}`);
  if (raw === '') throw new ConfigError('INVALID_VALUE', `${at}: expected ${what}, got an empty string`);
  return raw;
}

function readHeaders(raw: unknown, at: (...path: string[]) => string): Record<string, string> {
  if (!isMapping(raw)) {
    throw new ConfigError(
      'INVALID_TYPE',
      `${at('headers')}: expected a mapping of header names to values, got ${describe(raw)}`,
    );
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!HEADER_NAME.test(name)) {
      throw new ConfigError(
        'INVALID_VALUE',
        `${at('headers', name)}: ${JSON.stringify(name)} is not a valid HTTP header name`,
      );
    }
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: "${value}")` : '';
      throw new ConfigError(
        'INVALID_TYPE',
        `${at('headers', name)}: expected a string${hint}, got ${describe(value)}`,
      );
    }
    // undici refuses these at request time; better to say so at startup.
    if (/\p{Cc}/u.test(value.replace(/\t/g, ''))) {
      throw new ConfigError(
        'INVALID_VALUE',
        `${at('headers', name)}: the value contains a control character`,
      );
    }
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return headers;
}

function readTls(raw: unknown, source: string, path: string[]): UpstreamTls {
  const at = (key: string) => `${source}: ${formatPath([...path, key])}`;
  if (!isMapping(raw)) {
    throw new ConfigError(
      'INVALID_TYPE',
      `${source}: ${formatPath(path)}: expected a mapping (caFile, serverName, insecureSkipVerify), got ${describe(raw)}`,
    );
  }
  checkKeys(raw, TLS_KEYS, source, path);
  return {
    ...(Object.hasOwn(raw, 'caFile') ? { caFile: readString(raw.caFile, at('caFile'), 'a file path') } : {}),
    ...(Object.hasOwn(raw, 'serverName')
      ? { serverName: readString(raw.serverName, at('serverName'), 'a host name') }
      : {}),
    insecureSkipVerify: Object.hasOwn(raw, 'insecureSkipVerify')
      ? parseBoolean(raw.insecureSkipVerify, at('insecureSkipVerify'))
      : false,
  };
}

function readLabels(raw: unknown, at: (...path: string[]) => string): Label[] {
  if (!isMapping(raw)) {
    throw new ConfigError(
      'INVALID_TYPE',
      `${at('labels')}: expected a mapping of label names to values, got ${describe(raw)}`,
    );
  }
  return Object.entries(raw).map(([name, value]) => {
    const problem = labelNameProblem(name);
    if (problem)
      throw new ConfigError('INVALID_LABEL', `${at('labels', name)}: ${JSON.stringify(name)} ${problem}`);
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: "${value}")` : '';
      throw new ConfigError(
        'INVALID_TYPE',
        `${at('labels', name)}: expected a string${hint}, got ${describe(value)}`,
      );
    }
    if (value === '') {
      throw new ConfigError(
        'INVALID_VALUE',
        `${at('labels', name)}: an empty value means no label in Prometheus; remove the entry`,
      );
    }
    if (/\p{Surrogate}/u.test(value)) {
      throw new ConfigError(
        'INVALID_VALUE',
        `${at('labels', name)}: the value is not valid UTF-8 (it holds a lone surrogate)`,
      );
    }
    return { name, value };
  });
}

function readPatterns(
  raw: unknown,
  at: (...path: (string | number)[]) => string,
  key: 'keep' | 'drop',
): RegExp[] {
  if (!Array.isArray(raw)) {
    const hint = typeof raw === 'string' ? ` (write a list: [${JSON.stringify(raw)}])` : '';
    throw new ConfigError(
      'INVALID_TYPE',
      `${at(key)}: expected a list of regular expressions${hint}, got ${describe(raw)}`,
    );
  }
  return raw.map((pattern, index) => {
    if (typeof pattern !== 'string') {
      throw new ConfigError(
        'INVALID_TYPE',
        `${at(key, index)}: expected a regular expression string, got ${describe(pattern)}`,
      );
    }
    try {
      return new RegExp(pattern);
    } catch (error) {
      throw new ConfigError(
        'INVALID_REGEX',
        `${at(key, index)}: ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  });
}
