import type { ScrapeErrorReason } from './scrape-error';

const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET', // "other side closed"
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// OpenSSL and Node TLS codes: ERR_SSL_* / ERR_TLS_*, and the X509 verification codes Node surfaces as-is
// (DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ...).
const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH$|INVALID_CA$|INVALID_PURPOSE$|PATH_LENGTH_EXCEEDED$|ERROR_IN_CERT_|CRL_)/;

/** The reason for a low-level error from undici, the socket or zlib; `network` when nothing matches. */
export function classifyError(err: unknown): ScrapeErrorReason {
  for (const code of codesOf(err)) {
    if (code === 'ECONNREFUSED') return 'refused';
    if (RESET_CODES.has(code)) return 'reset';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (code.startsWith('Z_')) return 'decompress';
    if (TLS_CODE.test(code)) return 'tls';
  }
  return 'network';
}

/** Every `code` in an error, its `cause` chain and, for an AggregateError (one try per address), its errors. */
function codesOf(err: unknown, depth = 0): string[] {
  if (typeof err !== 'object' || err === null || depth > 4) return [];
  const codes: string[] = [];
  // Duck-typed: errors from Node's internals may come from another realm (jest, vm) than our AggregateError.
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') codes.push(code);
  if (Array.isArray(errors)) for (const inner of errors) codes.push(...codesOf(inner, depth + 1));
  codes.push(...codesOf(cause, depth + 1));
  return codes;
}
