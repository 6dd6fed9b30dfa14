import type { SampleRole } from './sample-role';

/** Flags of a sample's label block, telling the writer when its bytes cannot be copied as they are. */
export enum LabelFlags {
  /** Whitespace or a trailing comma: fine in classic text, not in OpenMetrics. */
  LooseSyntax = 1,
  /** An escape other than \\ \" \n: read literally by Prometheus, refused by strict text parsers. */
  OddEscape = 2,
  /** A label the writer injects (origin, static labels) is already there and must be renamed. */
  Reserved = 4,
  /** Has an `le` label (value span recorded). */
  HasLe = 8,
  /** Has a `quantile` label (value span recorded). */
  HasQuantile = 16,
  /** The value is a hexadecimal float, which OpenMetrics cannot carry as written. */
  HexValue = 32,
}

const INITIAL_CAPACITY = 1024;

/**
 * Every sample of one upstream body, as columns of offsets into that body (struct of arrays): one
 * object per scrape instead of one per sample, so a 100k-sample body costs no garbage collection.
 * Offsets are absolute byte positions; -1 marks an absent part.
 */
export class SampleTable {
  length = 0;
  role = new Uint8Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  line = new Int32Array(INITIAL_CAPACITY);
  /** Bytes between `{` and `}`, both excluded; start === end when there are no labels. */
  labelsStart = new Int32Array(INITIAL_CAPACITY);
  labelsEnd = new Int32Array(INITIAL_CAPACITY);
  /** Span of the `le="…"` pair with one adjacent comma, and of its value inside the quotes. */
  lePairStart = new Int32Array(INITIAL_CAPACITY);
  lePairEnd = new Int32Array(INITIAL_CAPACITY);
  leValueStart = new Int32Array(INITIAL_CAPACITY);
  leValueEnd = new Int32Array(INITIAL_CAPACITY);
  quantilePairStart = new Int32Array(INITIAL_CAPACITY);
  quantilePairEnd = new Int32Array(INITIAL_CAPACITY);
  quantileValueStart = new Int32Array(INITIAL_CAPACITY);
  quantileValueEnd = new Int32Array(INITIAL_CAPACITY);
  value = new Float64Array(INITIAL_CAPACITY);
  valueStart = new Int32Array(INITIAL_CAPACITY);
  valueEnd = new Int32Array(INITIAL_CAPACITY);
  timestampStart = new Int32Array(INITIAL_CAPACITY);
  timestampEnd = new Int32Array(INITIAL_CAPACITY);
  /** From the `#` of an OpenMetrics exemplar to the end of the line. */
  exemplarStart = new Int32Array(INITIAL_CAPACITY);
  exemplarEnd = new Int32Array(INITIAL_CAPACITY);

  /** Reserves the next row and returns its index; the caller fills every column. */
  add(role: SampleRole, line: number): number {
    if (this.length === this.role.length) this.grow();
    const i = this.length++;
    this.role[i] = role;
    this.line[i] = line;
    return i;
  }

  private grow(): void {
    const capacity = this.role.length * 2;
    for (const key of Object.keys(this) as (keyof this)[]) {
      const column = this[key];
      if (ArrayBuffer.isView(column)) {
        const Ctor = column.constructor as new (n: number) => Uint8Array;
        const next = new Ctor(capacity);
        next.set(column as unknown as Uint8Array);
        (this as Record<keyof this, unknown>)[key] = next;
      }
    }
  }
}
