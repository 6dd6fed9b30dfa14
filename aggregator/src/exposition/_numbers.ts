// Number grammars of both formats, parsed straight from bytes. Not API.
import { latin1 } from './_bytes';

//
// OpenMetrics 1.0 ABNF: number = realnumber / [sign] ("inf" / "infinity") / "nan", case-insensitive;
// realnumber = [sign] digits [. digits] [e [sign] digits] with at least one digit in the mantissa.
// Classic text values go through Go's strconv.ParseFloat, which also takes hexadecimal floats.

const DIGIT_0 = 0x30;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= 0x39;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function wordAt(buf: Buffer, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(buf[s + i]) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses a decimal real number ([sign] mantissa [exponent]); NaN-free. Returns undefined when the
 * bytes do not match the grammar. Short integers, the common case, never allocate a string.
 */
function parseDecimal(buf: Buffer, s: number, e: number): number | undefined {
  let i = s;
  let negative = false;
  if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) {
    negative = buf[i] === 0x2d;
    i++;
  }
  const mantissaStart = i;
  let integer = 0;
  let digits = 0;
  while (i < e && isDigit(buf[i])) {
    integer = integer * 10 + (buf[i] - DIGIT_0);
    digits++;
    i++;
  }
  if (i === e) {
    if (digits === 0) return undefined;
    if (digits <= 15) return negative ? -integer : integer;
    return Number(latin1(buf, s, e));
  }
  let fractionDigits = 0;
  if (buf[i] === 0x2e) {
    i++;
    while (i < e && isDigit(buf[i])) {
      fractionDigits++;
      i++;
    }
  }
  if (digits + fractionDigits === 0) return undefined;
  if (i === e && digits + fractionDigits <= 15) {
    // Exact: an integer below 2^53 divided by an exact power of ten rounds correctly (Clinger's fast path).
    let mantissa = integer;
    for (let k = e - fractionDigits; k < e; k++) mantissa = mantissa * 10 + (buf[k] - DIGIT_0);
    const result = mantissa / POWERS_OF_TEN[fractionDigits];
    return negative ? -result : result;
  }
  if (i < e && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
    const exponentStart = i;
    while (i < e && isDigit(buf[i])) i++;
    if (i === exponentStart) return undefined;
  }
  if (i !== e || mantissaStart === e) return undefined;
  // Correctly rounded, as Go's ParseFloat and Python's float() are.
  return Number(latin1(buf, s, e));
}

function parseSpecial(buf: Buffer, s: number, e: number, allowNaN: boolean): number | undefined {
  let i = s;
  let sign = 1;
  if (buf[i] === 0x2b || buf[i] === 0x2d) {
    sign = buf[i] === 0x2d ? -1 : 1;
    i++;
  }
  if (wordAt(buf, i, e, 'inf') || wordAt(buf, i, e, 'infinity')) return sign * Number.POSITIVE_INFINITY;
  if (allowNaN && i === s && wordAt(buf, i, e, 'nan')) return Number.NaN;
  return undefined;
}

/** An OpenMetrics number (sample and exemplar values, le and quantile label values). */
export function parseOpenMetricsNumber(buf: Buffer, s: number, e: number): number | undefined {
  if (s >= e) return undefined;
  return parseDecimal(buf, s, e) ?? parseSpecial(buf, s, e, true);
}

/** An OpenMetrics timestamp: a realnumber in seconds, never NaN or infinite. */
export function parseOpenMetricsTimestamp(buf: Buffer, s: number, e: number): number | undefined {
  if (s >= e) return undefined;
  return parseDecimal(buf, s, e);
}

/** Whether a classic-text value is written in a form OpenMetrics does not have (hexadecimal). */
export function isHexFloat(buf: Buffer, s: number, e: number): boolean {
  let i = s;
  if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
  return i + 1 < e && buf[i] === DIGIT_0 && lower(buf[i + 1]) === 0x78;
}

/** Go's hexadecimal float: 0x mantissa p exponent (the exponent is required). */
function parseHexFloat(buf: Buffer, s: number, e: number): number | undefined {
  let i = s;
  let sign = 1;
  if (buf[i] === 0x2b || buf[i] === 0x2d) {
    sign = buf[i] === 0x2d ? -1 : 1;
    i++;
  }
  i += 2;
  let mantissa = 0;
  let scale = 0;
  let digits = 0;
  let seenPoint = false;
  for (; i < e; i++) {
    const c = lower(buf[i]);
    const d = isDigit(c) ? c - DIGIT_0 : c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1;
    if (d >= 0) {
      mantissa = mantissa * 16 + d;
      if (seenPoint) scale -= 4;
      digits++;
    } else if (c === 0x2e && !seenPoint) {
      seenPoint = true;
    } else break;
  }
  if (digits === 0 || i >= e || lower(buf[i]) !== 0x70) return undefined;
  i++;
  const exponent = parseDecimal(buf, i, e);
  if (exponent === undefined || !Number.isInteger(exponent)) return undefined;
  return sign * mantissa * 2 ** (exponent + scale);
}

/** A classic-text value as Prometheus reads it (Go strconv.ParseFloat, without digit underscores). */
export function parseTextNumber(buf: Buffer, s: number, e: number): number | undefined {
  if (s >= e) return undefined;
  const decimal = parseDecimal(buf, s, e);
  if (decimal !== undefined) return decimal;
  if (isHexFloat(buf, s, e)) return parseHexFloat(buf, s, e);
  return parseSpecial(buf, s, e, true) ?? parseSignedNaN(buf, s, e);
}

// Go accepts a signed NaN ("+NaN", "-nan") as NaN.
function parseSignedNaN(buf: Buffer, s: number, e: number): number | undefined {
  if (buf[s] !== 0x2b && buf[s] !== 0x2d) return undefined;
  return wordAt(buf, s + 1, e, 'nan') ? Number.NaN : undefined;
}

/** A classic-text timestamp: a signed 64-bit integer of milliseconds (Go strconv.ParseInt). */
export function isTextTimestamp(buf: Buffer, s: number, e: number): boolean {
  let i = s;
  if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
  if (i === e) return false;
  const digitsStart = i;
  for (; i < e; i++) if (!isDigit(buf[i])) return false;
  if (e - digitsStart < 19) return true;
  const magnitude = BigInt(latin1(buf, digitsStart, e));
  return buf[s] === 0x2d ? magnitude <= 2n ** 63n : magnitude < 2n ** 63n;
}

/** Writes a float the way Prometheus's own exposition does (Go's 'g'-like shortest form). */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

const INT64_LIMIT = 2 ** 63;

/**
 * An OpenMetrics timestamp (seconds) as classic-text milliseconds, computed as Prometheus's
 * OpenMetrics parser does (int64(seconds * 1000), truncating), so the stored timestamp is the same.
 * Undefined when the result does not fit an int64.
 */
export function secondsToMillisText(seconds: number): string | undefined {
  const ms = Math.trunc(seconds * 1000);
  if (!Number.isFinite(ms) || ms >= INT64_LIMIT || ms < -INT64_LIMIT) return undefined;
  return Number.isSafeInteger(ms) ? String(ms) : BigInt(ms).toString();
}

const scratch = new DataView(new ArrayBuffer(8));

/** The next float64 away from zero. */
function nextAwayFromZero(x: number): number {
  scratch.setFloat64(0, x);
  scratch.setBigUint64(0, scratch.getBigUint64(0) + 1n);
  return scratch.getFloat64(0);
}

/**
 * Classic-text milliseconds as OpenMetrics seconds, chosen so that a reader computing
 * int64(seconds * 1000) (Prometheus) gets back exactly these milliseconds.
 */
export function millisToSecondsOpenMetrics(buf: Buffer, s: number, e: number): string {
  const text = latin1(buf, s, e);
  const negative = text[0] === '-';
  const digits = text.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  const padded = digits.padStart(4, '0');
  const whole = padded.slice(0, -3);
  const fraction = padded.slice(-3).replace(/0+$/, '');
  const decimal = (negative ? '-' : '') + whole + (fraction ? `.${fraction}` : '');
  const ms = Number(text);
  if (!Number.isSafeInteger(ms)) return decimal;
  let seconds = Number(decimal);
  for (let i = 0; i < 4 && Math.trunc(seconds * 1000) !== ms; i++) seconds = nextAwayFromZero(seconds);
  return Math.trunc(seconds * 1000) === ms && Number(decimal) !== seconds ? String(seconds) : decimal;
}
