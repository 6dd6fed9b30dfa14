// Parsers of scalar settings. Each takes the raw value (a string from a flag or an environment
// variable, a string, number or boolean from the config file) and `at`, the place to name in the
// error, e.g. `--port` or `config file /etc/x.yaml: upstreams.api.timeout`.
import { isIP } from 'node:net';
import type { LogLevel } from './config';
import { ConfigError } from './config-error';

/** The value as a user would recognise it in a message: strings quoted, containers by kind. */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  if (typeof value === 'object') return 'an unsupported value';
  return String(value);
}

/** A plain key-value object, as JSON and YAML mappings parse to. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fail(at: string, problem: string, code: 'INVALID_VALUE' | 'INVALID_TYPE' = 'INVALID_VALUE'): never {
  throw new ConfigError(code, `${at}: ${problem}`);
}

/** A string with something in it; `what` says what is expected, for the message. */
export function parseNonEmptyString(raw: unknown, at: string, what: string): string {
  if (typeof raw !== 'string') fail(at, `expected ${what}, got ${describe(raw)}`, 'INVALID_TYPE');
  if (raw.trim() === '') fail(at, `expected ${what}, got an empty string`);
  return raw;
}

const DURATION_EXAMPLES = 'examples: 500ms, 5s, 1m';
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds from `500ms`, `5s`, `1m`, `1m30s` (Go and Prometheus style) or a bare number of
 * seconds (`1.5`, or a number in the config file).
 */
export function parseDuration(raw: unknown, at: string, options: { allowZero: boolean }): number {
  let ms: number | undefined;
  if (typeof raw === 'number') {
    if (Number.isFinite(raw) && raw >= 0) ms = raw * 1000;
    else fail(at, `${describe(raw)} is not a duration (${DURATION_EXAMPLES})`);
  } else if (typeof raw === 'string') {
    ms = parseDurationString(raw.trim());
    if (ms === undefined) fail(at, `${describe(raw)} is not a duration (${DURATION_EXAMPLES})`);
  } else {
    fail(
      at,
      `expected a duration (${DURATION_EXAMPLES}) or a number of seconds, got ${describe(raw)}`,
      'INVALID_TYPE',
    );
  }
  ms = Math.round(ms);
  if (ms === 0 && !options.allowZero) fail(at, `${describe(raw)} is too short: it must be at least 1ms`);
  return ms;
}

function parseDurationString(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const match = DURATION_PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return text === '' ? undefined : total;
}

const SIZE_EXAMPLES = 'examples: 1048576, 512KiB, 10MiB, 50Mi, 1GB';
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
};

/** Bytes from a whole number or a number with a unit: KB, MB, GB (powers of 1000), KiB/Ki, MiB/Mi, GiB/Gi. */
export function parseByteSize(raw: unknown, at: string): number {
  let bytes: number | undefined;
  if (typeof raw === 'number') {
    bytes = raw;
  } else if (typeof raw === 'string') {
    const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(raw.trim());
    const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
    if (match && unit !== undefined) bytes = Math.floor(Number(match[1]) * unit);
  } else {
    fail(at, `expected a size (${SIZE_EXAMPLES}), got ${describe(raw)}`, 'INVALID_TYPE');
  }
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < 1) {
    fail(at, `${describe(raw)} is not a size in bytes (${SIZE_EXAMPLES})`);
  }
  return bytes;
}

/** A whole number of at least 1. */
export function parseCount(raw: unknown, at: string): number {
  const count = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    fail(at, `expected a whole number, got ${describe(raw)}`, 'INVALID_TYPE');
  }
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    fail(at, `${describe(raw)} is not a whole number of at least 1`);
  }
  return count;
}

/** A TCP port; 0 asks the system for a free one (useful in tests). */
export function parsePort(raw: unknown, at: string): number {
  const port = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    fail(at, `expected a port number (0-65535), got ${describe(raw)}`, 'INVALID_TYPE');
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail(at, `${describe(raw)} is not a port number (0-65535)`);
  }
  return port;
}

/** `true`/`false` (also `1`/`0` in environment variables, any case). */
export function parseBoolean(raw: unknown, at: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const text = raw.trim().toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    fail(at, `${describe(raw)} is not a boolean (true or false)`);
  }
  fail(at, `expected true or false, got ${describe(raw)}`, 'INVALID_TYPE');
}

// The zerolog names the Go metrics-aggregator read from LOG_LEVEL map to the nearest level.
const LOG_LEVELS: Record<string, LogLevel> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  trace: 'debug',
  warning: 'warn',
  fatal: 'error',
  panic: 'error',
};

/** debug, info, warn or error, in any case. */
export function parseLogLevel(raw: unknown, at: string): LogLevel {
  const text = parseNonEmptyString(raw, at, 'a log level (debug, info, warn, error)');
  const level = LOG_LEVELS[text.trim().toLowerCase()];
  if (level === undefined) fail(at, `${describe(raw)} is not a log level (debug, info, warn, error)`);
  return level;
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;

/** An IP address (v4 or v6, without brackets) or a host name to listen on. */
export function parseHost(raw: unknown, at: string): string {
  const host = parseNonEmptyString(raw, at, 'an IP address or a host name').trim();
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    fail(at, `${describe(raw)} is not an IP address or a host name (examples: 0.0.0.0, ::, 127.0.0.1)`);
  }
  return host;
}
