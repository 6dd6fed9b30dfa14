// Number grammars of both formats, parsed straight from bytes. Not API.
import { latin1 } from './_bytes';

//
// OpenMetrics 1.0 ABNF: number = realnumber / [sign] ("inf" / "infinity") / "nan", case-insensitive;
// realnumber = [sign] digits [. digits] [e [sign] digits] with at least one digit in the mantissa.
// Classic text values go through Prometheus's textparse: Go's strconv.ParseFloat, minus hexadecimal
// floats and digit underscores, and minus values out of float64 range.

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

/**
 * A classic-text value as Prometheus reads it: Go's strconv.ParseFloat without hexadecimal floats or
 * digit underscores (textparse refuses values containing p, P or _), and without the ±Inf that
 * ParseFloat returns, with a range error, for a decimal too large for a float64.
 */
export function parseTextNumber(buf: Buffer, s: number, e: number): number | undefined {
  if (s >= e) return undefined;
  const decimal = parseDecimal(buf, s, e);
  if (decimal !== undefined) return Number.isFinite(decimal) ? decimal : undefined;
  return parseSpecial(buf, s, e, true);
}

/**
 * A classic-text timestamp as Prometheus's lexer takes it: digits only (no sign, so nothing before
 * 1970), milliseconds that fit an int64.
 */
export function isTextTimestamp(buf: Buffer, s: number, e: number): boolean {
  if (s === e) return false;
  for (let i = s; i < e; i++) if (!isDigit(buf[i])) return false;
  return e - s < 19 || BigInt(latin1(buf, s, e)) < 2n ** 63n;
}

const INT64_LIMIT = 2 ** 63;

/**
 * An OpenMetrics timestamp (seconds) in milliseconds, computed as Prometheus's OpenMetrics parser
 * does (int64(seconds * 1000), truncating), so the stored timestamp is the same. Undefined beyond int64.
 */
export function secondsToMillis(seconds: number): string | undefined {
  const ms = Math.trunc(seconds * 1000);
  if (!Number.isFinite(ms) || ms >= INT64_LIMIT || ms < -INT64_LIMIT) return undefined;
  return Number.isSafeInteger(ms) ? String(ms) : BigInt(ms).toString();
}

/** The same, as classic text can write it: undefined also before 1970, as classic timestamps have no sign. */
export function secondsToMillisText(seconds: number): string | undefined {
  return seconds < 0 ? undefined : secondsToMillis(seconds);
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
 * int64(seconds * 1000) (Prometheus) gets back exactly these milliseconds; undefined when no float64
 * does (beyond about 2^52 ms, the year 140,000).
 */
export function millisToSecondsOpenMetrics(buf: Buffer, s: number, e: number): string | undefined {
  const text = latin1(buf, s, e);
  const negative = text[0] === '-';
  const digits = text.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  const padded = digits.padStart(4, '0');
  const whole = padded.slice(0, -3);
  const fraction = padded.slice(-3).replace(/0+$/, '');
  const decimal = (negative ? '-' : '') + whole + (fraction ? `.${fraction}` : '');
  const ms = Number(text);
  if (!Number.isSafeInteger(ms)) return undefined;
  let seconds = Number(decimal);
  for (let i = 0; i < 4 && Math.trunc(seconds * 1000) !== ms; i++) seconds = nextAwayFromZero(seconds);
  if (Math.trunc(seconds * 1000) !== ms) return undefined;
  return Number(decimal) !== seconds ? String(seconds) : decimal;
}
