// METRICS_ENDPOINTS, in the two forms the Go metrics-aggregator accepts, so that its users can switch:
//   {"api":"http://localhost:8080/metrics","worker":"http://localhost:9100/metrics"}   (recommended)
//   http://localhost:8080/metrics,http://localhost:9100/metrics   (named endpoint1, endpoint2, ...)
// Pure and free of side effects: the chart, kustomize and constructs tests import it to prove that the
// value they generate is accepted.

import { JsonError, parseJson } from './_json';
import {
  bareUpstream,
  completeUpstream,
  type UpstreamSpec,
  validateUpstreamName,
  validateUpstreamUrl,
} from './_upstream';
import { describe, isMapping } from './_values';
import { DEFAULT_UPSTREAM_DEFAULTS, type UpstreamConfig, type UpstreamDefaults } from './config';
import { ConfigError } from './config-error';

const EXAMPLE = '{"api":"http://localhost:8080/metrics"}';

/** The upstreams of a METRICS_ENDPOINTS value, in its order; throws a ConfigError naming the problem. */
export function parseMetricsEndpoints(
  value: string,
  defaults: UpstreamDefaults = DEFAULT_UPSTREAM_DEFAULTS,
): UpstreamConfig[] {
  return readMetricsEndpoints(value, 'METRICS_ENDPOINTS').map((spec) => completeUpstream(spec, defaults));
}

/** The upstreams of a METRICS_ENDPOINTS value given by `source` (the variable or flag to name in errors). */
export function readMetricsEndpoints(value: string, source: string): UpstreamSpec[] {
  const text = value.trim();
  if (text === '') {
    throw new ConfigError(
      'INVALID_VALUE',
      `${source}: is empty; expected a JSON object such as ${EXAMPLE} or comma-separated URLs`,
    );
  }
  // A URL never starts with these: the value is meant as JSON, so a JSON error is the useful one.
  return '{["'.includes(text[0]) ? fromJson(value, source) : fromList(value, source);
}

function fromJson(value: string, source: string): UpstreamSpec[] {
  let parsed: unknown;
  try {
    parsed = parseJson(value);
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    if (error.duplicate?.path.length === 0) {
      const name = JSON.stringify(error.duplicate.key);
      throw new ConfigError('DUPLICATE_NAME', `${source}: upstream name ${name} appears twice`);
    }
    throw new ConfigError('INVALID_JSON', `${source}: invalid JSON: ${error.message}`);
  }
  if (!isMapping(parsed)) {
    throw new ConfigError(
      'INVALID_TYPE',
      `${source}: expected a JSON object mapping upstream names to URLs, such as ${EXAMPLE}, got ${describe(parsed)}`,
    );
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0) {
    throw new ConfigError('INVALID_VALUE', `${source}: {} names no upstream; expected e.g. ${EXAMPLE}`);
  }
  return entries.map(([name, url]) => {
    validateUpstreamName(name, source);
    const at = `${source}: upstream ${JSON.stringify(name)}`;
    if (typeof url !== 'string') {
      throw new ConfigError('INVALID_TYPE', `${at}: expected a URL string, got ${describe(url)}`);
    }
    return bareUpstream(name, validateUpstreamUrl(url, at), source);
  });
}

function fromList(value: string, source: string): UpstreamSpec[] {
  return value.split(',').map((entry, index) => {
    const name = `endpoint${index + 1}`;
    if (entry.trim() === '') {
      throw new ConfigError(
        'INVALID_VALUE',
        `${source}: entry ${index + 1} of the comma-separated list is empty (a stray comma?)`,
      );
    }
    return bareUpstream(name, validateUpstreamUrl(entry.trim(), `${source}: upstream "${name}"`), source);
  });
}
