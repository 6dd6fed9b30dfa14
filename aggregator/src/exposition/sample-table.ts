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
  /** The whole line is valid, as written, in both formats: the writer may copy it into either. */
  Portable = 64,
}

const INITIAL_CAPACITY = 1024;

/**
 * Every sample of one upstream body, as columns of offsets into that body (struct of arrays): one
 * object per scrape instead of one per sample, so a 100k-sample body costs no garbage collection.
 * Offsets are absolute byte positions; -1 marks an absent part.
 */
export class SampleTable {
  length = 0;
  role: Uint8Array;
  flags: Uint8Array;
  line: Int32Array;
  /** First byte of the sample's name, and the end of its meaningful bytes (before trailing blanks). */
  nameStart: Int32Array;
  end: Int32Array;
  /** Bytes between `{` and `}`, both excluded; start === end when there are no labels. */
  labelsStart: Int32Array;
  labelsEnd: Int32Array;
  /** Span of the `le="…"` pair with one adjacent comma, and of its value inside the quotes. */
  lePairStart: Int32Array;
  lePairEnd: Int32Array;
  leValueStart: Int32Array;
  leValueEnd: Int32Array;
  quantilePairStart: Int32Array;
  quantilePairEnd: Int32Array;
  quantileValueStart: Int32Array;
  quantileValueEnd: Int32Array;
  value: Float64Array;
  /** The parsed `le` of a bucket, filled by the OpenMetrics checks. */
  le: Float64Array;
  valueStart: Int32Array;
  valueEnd: Int32Array;
  timestampStart: Int32Array;
  timestampEnd: Int32Array;
  /** From the `#` of an OpenMetrics exemplar to the end of the line. */
  exemplarStart: Int32Array;
  exemplarEnd: Int32Array;

  /** @param capacity rows to allocate up front (the table grows as needed). */
  constructor(capacity = INITIAL_CAPACITY) {
    const n = Math.max(16, capacity);
    this.role = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.line = new Int32Array(n);
    this.nameStart = new Int32Array(n);
    this.end = new Int32Array(n);
    this.labelsStart = new Int32Array(n);
    this.labelsEnd = new Int32Array(n);
    this.lePairStart = new Int32Array(n);
    this.lePairEnd = new Int32Array(n);
    this.leValueStart = new Int32Array(n);
    this.leValueEnd = new Int32Array(n);
    this.quantilePairStart = new Int32Array(n);
    this.quantilePairEnd = new Int32Array(n);
    this.quantileValueStart = new Int32Array(n);
    this.quantileValueEnd = new Int32Array(n);
    this.value = new Float64Array(n);
    this.le = new Float64Array(n);
    this.valueStart = new Int32Array(n);
    this.valueEnd = new Int32Array(n);
    this.timestampStart = new Int32Array(n);
    this.timestampEnd = new Int32Array(n);
    this.exemplarStart = new Int32Array(n);
    this.exemplarEnd = new Int32Array(n);
  }

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
