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
  role!: Uint8Array;
  flags!: Uint8Array;
  line!: Int32Array;
  /** First byte of the sample's name, and the end of its meaningful bytes (before trailing blanks). */
  nameStart!: Int32Array;
  end!: Int32Array;
  /** Bytes between `{` and `}`, both excluded; start === end when there are no labels. */
  labelsStart!: Int32Array;
  labelsEnd!: Int32Array;
  /** Span of the `le="…"` pair with one adjacent comma, and of its value inside the quotes. */
  lePairStart!: Int32Array;
  lePairEnd!: Int32Array;
  leValueStart!: Int32Array;
  leValueEnd!: Int32Array;
  quantilePairStart!: Int32Array;
  quantilePairEnd!: Int32Array;
  quantileValueStart!: Int32Array;
  quantileValueEnd!: Int32Array;
  value!: Float64Array;
  valueStart!: Int32Array;
  valueEnd!: Int32Array;
  timestampStart!: Int32Array;
  timestampEnd!: Int32Array;
  /** From the `#` of an OpenMetrics exemplar to the end of the line. */
  exemplarStart!: Int32Array;
  exemplarEnd!: Int32Array;

  /** @param capacity rows to allocate up front (the table grows as needed). */
  constructor(capacity = INITIAL_CAPACITY) {
    this.allocate(Math.max(16, capacity));
  }

  /** Reserves the next row and returns its index; the caller fills every column. */
  add(role: SampleRole, line: number): number {
    if (this.length === this.role.length) this.grow();
    const i = this.length++;
    this.role[i] = role;
    this.line[i] = line;
    return i;
  }

  /**
   * Gives back the rows reserved but not used, when they are a quarter or more of the table: a
   * parse is kept until the next one (see ParseOptions.previous), and its estimate may be generous.
   */
  fit(): void {
    const capacity = this.role.length;
    if (this.length > capacity * 0.75) return;
    this.resize(Math.max(16, this.length));
  }

  // Every column is a view into one ArrayBuffer: one allocation per body, not twenty-three.
  private allocate(n: number): void {
    const memory = new ArrayBuffer(
      n * (FLOAT64_COLUMNS.length * 8 + INT32_COLUMNS.length * 4 + UINT8_COLUMNS.length),
    );
    let offset = 0;
    const self = this as unknown as Record<string, Float64Array | Int32Array | Uint8Array>;
    for (const key of FLOAT64_COLUMNS) {
      self[key] = new Float64Array(memory, offset, n);
      offset += n * 8;
    }
    for (const key of INT32_COLUMNS) {
      self[key] = new Int32Array(memory, offset, n);
      offset += n * 4;
    }
    for (const key of UINT8_COLUMNS) {
      self[key] = new Uint8Array(memory, offset, n);
      offset += n;
    }
  }

  private grow(): void {
    this.resize(this.role.length * 2);
  }

  private resize(capacity: number): void {
    const self = this as unknown as Record<string, Float64Array | Int32Array | Uint8Array>;
    const old = Object.fromEntries(ALL_COLUMNS.map((key) => [key, self[key]]));
    this.allocate(capacity);
    const kept = Math.min(capacity, this.length);
    for (const key of ALL_COLUMNS) (self[key] as Uint8Array).set((old[key] as Uint8Array).subarray(0, kept));
  }
}

const FLOAT64_COLUMNS = ['value'] as const;
const INT32_COLUMNS = [
  'line',
  'nameStart',
  'end',
  'labelsStart',
  'labelsEnd',
  'lePairStart',
  'lePairEnd',
  'leValueStart',
  'leValueEnd',
  'quantilePairStart',
  'quantilePairEnd',
  'quantileValueStart',
  'quantileValueEnd',
  'valueStart',
  'valueEnd',
  'timestampStart',
  'timestampEnd',
  'exemplarStart',
  'exemplarEnd',
] as const;
const UINT8_COLUMNS = ['role', 'flags'] as const;
const ALL_COLUMNS: readonly string[] = [...FLOAT64_COLUMNS, ...INT32_COLUMNS, ...UINT8_COLUMNS];
