// Reads a label block `{name="value",...}` from bytes, validating it and noting what the writer and
// the OpenMetrics checks need, without building strings. Not API.
import { isUtf8 } from 'node:buffer';
import {
  BACKSLASH,
  bytesEqual,
  CLOSE_BRACE,
  COMMA,
  EQUALS,
  isBlank,
  isLabelNameChar,
  isLabelNameStart,
  QUOTE,
  quoteBytes,
  sameBytes,
  wordView,
} from './_bytes';
import { LabelFlags, type SampleTable } from './sample-table';

export class LabelScanner {
  flags = 0;
  lePairStart = -1;
  lePairEnd = -1;
  leValueStart = -1;
  leValueEnd = -1;
  quantilePairStart = -1;
  quantilePairEnd = -1;
  quantileValueStart = -1;
  quantileValueEnd = -1;
  /** Characters in names and decoded values: OpenMetrics caps an exemplar's labels at 128. */
  runeCount = 0;
  error = '';
  private names = new Int32Array(64);
  /** Bit n set when a reserved name is n bytes long (below 32): most names need no comparison. */
  private readonly reservedLengths: number;

  /** @param countRunes count characters into `runeCount` (for exemplar labels) */
  constructor(
    private readonly reserved: readonly string[],
    private readonly countRunes = false,
  ) {
    this.reservedLengths = 0;
    for (const name of reserved) if (name.length < 32) this.reservedLengths |= 1 << name.length;
  }

  /**
   * Scans from just after `{`. Strict is OpenMetrics (no whitespace, no trailing comma); loose is
   * classic text as Prometheus reads it. Returns the offset just after `}`, or -1 with `error` set.
   */
  scan(buf: Buffer, pos: number, end: number, strict: boolean): number {
    this.lePairStart = -1;
    this.quantilePairStart = -1;
    this.runeCount = 0;
    let count = 0;
    // Bit (c & 31) of each name's first byte: a name can only repeat one whose first byte it shares.
    let firstBytes = 0;
    let i = pos;
    let first = true;
    const known = this.knownLength;
    if (
      known > 0 &&
      buf === this.knownBuf &&
      strict === this.knownStrict &&
      pos + known <= end &&
      sameBytes(this.viewOf(buf), pos, this.knownStart, known)
    ) {
      // The block starts with the pairs the last one started with (a histogram's buckets): the scan
      // would end those bytes in the state it did then, and the names it remembers are still there.
      this.flags = this.knownFlags;
      count = this.knownCount;
      firstBytes = this.knownFirstBytes;
      i = pos + known;
      first = false;
    } else {
      this.flags = 0;
      this.knownLength = 0;
    }
    for (; ; first = false) {
      if (!strict) i = this.skipBlanks(buf, i, end);
      // `{}`, or after a comma the end of a classic block with a trailing comma.
      if ((first || !strict) && i < end && buf[i] === CLOSE_BRACE) {
        if (!first) this.flags |= LabelFlags.LooseSyntax;
        return i + 1;
      }
      const pairStart = i;
      const nameStart = i;
      if (i >= end || !isLabelNameStart(buf[i])) return this.fail(buf, i, end, 'expected a label name');
      i++;
      while (i < end && isLabelNameChar(buf[i])) i++;
      const nameEnd = i;
      const firstByte = 1 << (buf[nameStart] & 31);
      if (firstBytes & firstByte && this.isDuplicate(buf, nameStart, nameEnd, count)) {
        return this.fail(buf, nameStart, nameEnd, 'duplicate label name');
      }
      firstBytes |= firstByte;
      this.remember(nameStart, nameEnd, count++);
      if (this.countRunes) this.runeCount += nameEnd - nameStart;
      if (!strict) i = this.skipBlanks(buf, i, end);
      if (i >= end || buf[i] !== EQUALS) return this.fail(buf, i, end, 'expected "=" after the label name');
      i++;
      if (!strict) i = this.skipBlanks(buf, i, end);
      if (i >= end || buf[i] !== QUOTE) return this.fail(buf, i, end, 'expected a quoted label value');
      i++;
      const valueStart = i;
      // Lines end at their LF, so `end` bounds the value; characters are counted afterwards, and only
      // for exemplars, to keep this loop to three comparisons a byte.
      let nonAscii = false;
      let escapes = 0;
      for (;;) {
        if (i >= end) return this.fail(buf, valueStart - 1, end, 'unterminated label value');
        const c = buf[i];
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          if (i + 1 >= end) return this.fail(buf, valueStart - 1, end, 'unterminated label value');
          const next = buf[i + 1];
          if (next !== BACKSLASH && next !== QUOTE && next !== 0x6e) this.flags |= LabelFlags.OddEscape;
          else escapes++;
          i += 2;
          continue;
        }
        if (c >= 0x80) nonAscii = true;
        i++;
      }
      const valueEnd = i;
      if (nonAscii && !isUtf8(buf.subarray(valueStart, valueEnd))) {
        return this.fail(buf, valueStart, valueEnd, 'label value is not valid UTF-8');
      }
      if (this.countRunes) this.runeCount += runesIn(buf, valueStart, valueEnd) - escapes;
      i++;
      this.noteSpecial(buf, nameStart, nameEnd, valueStart, valueEnd, pairStart, i);
      if (!strict) i = this.skipBlanks(buf, i, end);
      if (i < end && buf[i] === CLOSE_BRACE) return i + 1;
      if (i >= end || buf[i] !== COMMA)
        return this.fail(buf, i, end, 'expected "," or "}" after a label value');
      i++;
      this.extendPair(i);
      // Pairs before any le or quantile pair can be taken as known by the next block (the positions
      // of those pairs are per block); exemplar scans count characters, which this would skip.
      if (!(this.flags & (LabelFlags.HasLe | LabelFlags.HasQuantile)) && !this.countRunes) {
        this.knownBuf = buf;
        this.knownStart = pos;
        this.knownLength = i - pos;
        this.knownStrict = strict;
        this.knownFlags = this.flags;
        this.knownCount = count;
        this.knownFirstBytes = firstBytes;
      }
    }
  }

  /** The first pairs of the last block, with the scan's state after them: `knownLength` 0 when none. */
  private knownBuf: Buffer | undefined;
  private knownStart = 0;
  private knownLength = 0;
  private knownStrict = false;
  private knownFlags = 0;
  private knownCount = 0;
  private knownFirstBytes = 0;
  private viewBuf: Buffer | undefined;
  private view: DataView | undefined;

  private viewOf(buf: Buffer): DataView {
    if (buf !== this.viewBuf || !this.view) {
      this.viewBuf = buf;
      this.view = wordView(buf);
    }
    return this.view;
  }

  /** Stores the block that ended at `after` (just past `}`) and what the scan found in row `row`; returns the flags. */
  recordInto(table: SampleTable, row: number, blockStart: number, after: number): number {
    table.labelsStart[row] = blockStart;
    table.labelsEnd[row] = after - 1;
    if (this.flags & LabelFlags.HasLe) {
      table.lePairStart[row] = this.lePairStart;
      table.lePairEnd[row] = this.lePairEnd;
      table.leValueStart[row] = this.leValueStart;
      table.leValueEnd[row] = this.leValueEnd;
    }
    if (this.flags & LabelFlags.HasQuantile) {
      table.quantilePairStart[row] = this.quantilePairStart;
      table.quantilePairEnd[row] = this.quantilePairEnd;
      table.quantileValueStart[row] = this.quantileValueStart;
      table.quantileValueEnd[row] = this.quantileValueEnd;
    }
    return this.flags;
  }

  private skipBlanks(buf: Buffer, i: number, end: number): number {
    const start = i;
    while (i < end && isBlank(buf[i])) i++;
    if (i !== start) this.flags |= LabelFlags.LooseSyntax;
    return i;
  }

  private pendingPair: 'le' | 'quantile' | undefined;

  private noteSpecial(
    buf: Buffer,
    nameStart: number,
    nameEnd: number,
    valueStart: number,
    valueEnd: number,
    pairStart: number,
    pairEnd: number,
  ): void {
    this.pendingPair = undefined;
    const length = nameEnd - nameStart;
    if (length === 2 && buf[nameStart] === 0x6c && buf[nameStart + 1] === 0x65) {
      this.flags |= LabelFlags.HasLe;
      this.leValueStart = valueStart;
      this.leValueEnd = valueEnd;
      // A pair that is not first takes its leading comma, so removing it leaves a valid list.
      this.lePairStart = pairStart > 0 && buf[pairStart - 1] === COMMA ? pairStart - 1 : pairStart;
      this.lePairEnd = pairEnd;
      this.pendingPair = buf[pairStart - 1] === COMMA ? undefined : 'le';
    } else if (length === 8 && bytesEqual(buf, nameStart, nameEnd, 'quantile')) {
      this.flags |= LabelFlags.HasQuantile;
      this.quantileValueStart = valueStart;
      this.quantileValueEnd = valueEnd;
      this.quantilePairStart = pairStart > 0 && buf[pairStart - 1] === COMMA ? pairStart - 1 : pairStart;
      this.quantilePairEnd = pairEnd;
      this.pendingPair = buf[pairStart - 1] === COMMA ? undefined : 'quantile';
    }
    if (length < 32 && !(this.reservedLengths & (1 << length))) return;
    for (const name of this.reserved) {
      if (bytesEqual(buf, nameStart, nameEnd, name)) this.flags |= LabelFlags.Reserved;
    }
  }

  // A first pair followed by a comma takes that comma instead.
  private extendPair(afterComma: number): void {
    if (this.pendingPair === 'le') this.lePairEnd = afterComma;
    else if (this.pendingPair === 'quantile') this.quantilePairEnd = afterComma;
    this.pendingPair = undefined;
  }

  private remember(s: number, e: number, index: number): void {
    if (index * 2 + 2 > this.names.length) {
      const next = new Int32Array(this.names.length * 2);
      next.set(this.names);
      this.names = next;
    }
    this.names[index * 2] = s;
    this.names[index * 2 + 1] = e;
  }

  private isDuplicate(buf: Buffer, s: number, e: number, count: number): boolean {
    for (let k = 0; k < count; k++) {
      const ks = this.names[k * 2];
      const ke = this.names[k * 2 + 1];
      if (ke - ks !== e - s) continue;
      let same = true;
      for (let j = 0; j < e - s; j++) {
        if (buf[ks + j] !== buf[s + j]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  private fail(buf: Buffer, s: number, end: number, reason: string): number {
    this.error = s < end ? `${reason} at ${quoteBytes(buf, s, end)}` : `${reason} at end of line`;
    return -1;
  }
}

/** UTF-8 characters in buf[s..e): every byte but continuation bytes starts one. */
function runesIn(buf: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) if ((buf[i] & 0xc0) !== 0x80) n++;
  return n;
}
