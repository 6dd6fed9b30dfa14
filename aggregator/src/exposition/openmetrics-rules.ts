// The OpenMetrics 1.0 rules a family must keep beyond line syntax: values allowed per sample kind,
// label requirements, grouping and timestamp order, histogram consistency, exemplar placement.
// Used on every OpenMetrics upstream, and on classic-text families before they are written as
// OpenMetrics, so that what we write is what strict parsers accept.
import { bytesEqual, isLabelNameChar, latin1 } from './_bytes';
import { parseOpenMetricsNumber, parseOpenMetricsTimestamp } from './_numbers';
import type { MetricType } from './family';
import type { ExpositionFormat } from './format';
import { SampleRole } from './sample-role';
import { LabelFlags, type SampleTable } from './sample-table';

export interface RuleViolation {
  readonly line: number;
  readonly reason: string;
}

/** A group key: the labels of a sample minus the one label that varies inside the group. */
interface GroupSpan {
  start: number;
  holeStart: number;
  holeEnd: number;
  end: number;
}

/**
 * Checks one family as OpenMetrics. `roleOf` gives each sample's OpenMetrics role (a classic
 * counter's bare sample is a `_total` sample once written as OpenMetrics).
 */
export function checkOpenMetricsFamily(
  body: Buffer,
  table: SampleTable,
  name: string,
  type: MetricType,
  samples: readonly number[],
  sourceFormat: ExpositionFormat,
  roleOf: (row: number) => SampleRole = (row) => table.role[row],
): RuleViolation | undefined {
  const current: GroupSpan = { start: 0, holeStart: 0, holeEnd: 0, end: 0 };
  const previous: GroupSpan = { start: 0, holeStart: 0, holeEnd: 0, end: 0 };
  const seenGroups = new GroupSet(body, table, type, roleOf);
  let havePrevious = false;
  let previousTimestamp: number | undefined;
  const isHistogram = type === 'histogram' || type === 'gaugehistogram';

  for (const row of samples) {
    const role = roleOf(row);
    const value = table.value[row];
    const flags = table.flags[row];

    if (type === 'stateset' && !hasLabelNamed(body, table.labelsStart[row], table.labelsEnd[row], name)) {
      return violation(table, row, name, `stateset sample needs a label named "${name}"`);
    }
    if (role === SampleRole.Bucket) {
      if (!(flags & LabelFlags.HasLe))
        return violation(table, row, name, 'bucket sample without an "le" label');
      const le = parseOpenMetricsNumber(body, table.leValueStart[row], table.leValueEnd[row]);
      if (le === undefined || Number.isNaN(le))
        return violation(table, row, name, 'bucket "le" label is not a number');
      table.le[row] = le;
      if (
        le === Number.POSITIVE_INFINITY &&
        !bytesEqual(body, table.leValueStart[row], table.leValueEnd[row], '+Inf')
      ) {
        return violation(table, row, name, 'the infinite bucket must be written le="+Inf"');
      }
      if (!Number.isInteger(value)) return violation(table, row, name, 'bucket value must be an integer');
    }
    if ((role === SampleRole.Count || role === SampleRole.GCount) && !Number.isInteger(value)) {
      return violation(table, row, name, 'count value must be an integer');
    }
    if (type === 'summary' && role === SampleRole.Bare) {
      if (!(flags & LabelFlags.HasQuantile))
        return violation(table, row, name, 'summary quantile sample without a "quantile" label');
      const q = parseOpenMetricsNumber(body, table.quantileValueStart[row], table.quantileValueEnd[row]);
      if (q === undefined || !(q >= 0 && q <= 1))
        return violation(table, row, name, '"quantile" label must be a number from 0 to 1');
      if (value < 0) return violation(table, row, name, 'quantile values cannot be negative');
    }

    groupOf(table, row, type, role, current);
    const hasTimestamp = table.timestampStart[row] >= 0;
    const timestamp = hasTimestamp ? timestampOf(body, table, row, sourceFormat) : undefined;
    const sameGroup =
      type === 'info' || (havePrevious && spansEqual(body, current, previous) && havePrevious);
    if (havePrevious && !sameGroup) {
      if (seenGroups.has(current))
        return violation(table, row, name, 'samples of one metric are not contiguous');
    }
    if (havePrevious && sameGroup) {
      if (hasTimestamp !== (previousTimestamp !== undefined)) {
        return violation(table, row, name, 'some samples of a metric have a timestamp and others do not');
      }
      if (timestamp !== undefined && previousTimestamp !== undefined && timestamp < previousTimestamp) {
        if (type !== 'info') return violation(table, row, name, 'timestamps go backwards within a metric');
      }
    }
    if (!havePrevious || !sameGroup) seenGroups.add(current, row);
    copySpan(current, previous);
    havePrevious = true;
    previousTimestamp = timestamp;

    if (type === 'stateset' && value !== 0 && value !== 1)
      return violation(table, row, name, 'stateset values must be 0 or 1');
    if (type === 'info' && value !== 1) return violation(table, row, name, 'info values must be 1');
    const counterLike =
      role === SampleRole.Total ||
      role === SampleRole.Sum ||
      role === SampleRole.Count ||
      role === SampleRole.Bucket ||
      role === SampleRole.GCount;
    if ((counterLike || role === SampleRole.GSum) && Number.isNaN(value)) {
      return violation(table, row, name, 'counter-like values cannot be NaN');
    }
    if (counterLike && value < 0)
      return violation(table, row, name, 'counter-like values cannot be negative');
    if (table.exemplarStart[row] >= 0) {
      const allowed =
        (isHistogram && role === SampleRole.Bucket) || (type === 'counter' && role === SampleRole.Total);
      if (!allowed)
        return violation(
          table,
          row,
          name,
          'exemplars are only allowed on counter _total and histogram _bucket samples',
        );
    }
  }
  return isHistogram ? checkHistograms(body, table, name, type, samples, roleOf) : undefined;
}

function violation(table: SampleTable, row: number, name: string, reason: string): RuleViolation {
  return { line: table.line[row], reason: `${reason} (metric family "${name}")` };
}

/** Per metric of a histogram: ordered buckets ending at +Inf, counts consistent with buckets. */
function checkHistograms(
  body: Buffer,
  table: SampleTable,
  name: string,
  type: MetricType,
  samples: readonly number[],
  roleOf: (row: number) => SampleRole,
): RuleViolation | undefined {
  const current: GroupSpan = { start: 0, holeStart: 0, holeEnd: 0, end: 0 };
  const previous: GroupSpan = { start: 0, holeStart: 0, holeEnd: 0, end: 0 };
  let lastRow = -1;
  let bucket: number | undefined;
  let bucketValue = 0;
  let count: number | undefined;
  let hasSum = false;
  let hasGSum = false;
  let negativeBuckets = false;
  let negativeGSum = false;

  const finish = (): RuleViolation | undefined => {
    const line = table.line[lastRow];
    const fail = (reason: string): RuleViolation => ({ line, reason: `${reason} (histogram "${name}")` });
    if (bucket !== Number.POSITIVE_INFINITY) return fail('the +Inf bucket is missing');
    if (count !== undefined && count !== bucketValue) return fail('_count differs from the +Inf bucket');
    if (hasSum && count === undefined) return fail('_count must be present when _sum is');
    if (hasGSum && count === undefined) return fail('_gcount must be present when _gsum is');
    if (!(hasSum || hasGSum) && count !== undefined) return fail('_sum must be present when _count is');
    if (negativeBuckets && hasSum) return fail('a histogram with negative buckets cannot have _sum');
    if (!negativeBuckets && negativeGSum) return fail('negative _gsum needs negative buckets');
    return undefined;
  };

  for (const row of samples) {
    const role = roleOf(row);
    groupOf(table, row, type, role, current);
    const newGroup =
      lastRow < 0 || !spansEqual(body, current, previous) || !timestampBytesEqual(body, table, row, lastRow);
    if (newGroup) {
      if (lastRow >= 0) {
        const violation = finish();
        if (violation) return violation;
      }
      bucket = undefined;
      bucketValue = 0;
      count = undefined;
      hasSum = hasGSum = negativeBuckets = negativeGSum = false;
    }
    copySpan(current, previous);
    lastRow = row;
    const value = table.value[row];
    if (role === SampleRole.Bucket) {
      const le = table.le[row]; // Parsed by the first pass.
      if (le < 0) negativeBuckets = true;
      if (bucket !== undefined && le <= bucket) {
        return {
          line: table.line[row],
          reason: `buckets are not in increasing "le" order (histogram "${name}")`,
        };
      }
      if (value < bucketValue) {
        return { line: table.line[row], reason: `bucket values decrease (histogram "${name}")` };
      }
      bucket = le;
      bucketValue = value;
    } else if (role === SampleRole.Count || role === SampleRole.GCount) {
      count = value;
    } else if (role === SampleRole.Sum) {
      hasSum = true;
    } else if (role === SampleRole.GSum) {
      hasGSum = true;
      if (value < 0) negativeGSum = true;
    }
  }
  return lastRow >= 0 ? finish() : undefined;
}

function groupOf(table: SampleTable, row: number, type: MetricType, role: SampleRole, out: GroupSpan): void {
  out.start = table.labelsStart[row];
  out.end = table.labelsEnd[row];
  out.holeStart = out.holeEnd = out.start;
  const flags = table.flags[row];
  if (type === 'info') {
    out.end = out.start;
  } else if (role === SampleRole.Bucket && flags & LabelFlags.HasLe) {
    out.holeStart = table.lePairStart[row];
    out.holeEnd = table.lePairEnd[row];
  } else if (type === 'summary' && role === SampleRole.Bare && flags & LabelFlags.HasQuantile) {
    out.holeStart = table.quantilePairStart[row];
    out.holeEnd = table.quantilePairEnd[row];
  }
  // Stateset groups are all states of one label set; their label is spread inside the block, so
  // compare whole blocks minus nothing: a stateset metric with its states on consecutive lines is
  // one group per state, which is stricter than needed only for out-of-order timestamps.
}

function byteAt(body: Buffer, span: GroupSpan, k: number): number {
  const head = span.holeStart - span.start;
  return k < head ? body[span.start + k] : body[span.holeEnd + (k - head)];
}

function spanLength(span: GroupSpan): number {
  return span.end - span.start - (span.holeEnd - span.holeStart);
}

function spansEqual(body: Buffer, a: GroupSpan, b: GroupSpan): boolean {
  const n = spanLength(a);
  if (n !== spanLength(b)) return false;
  // The common case: both holes (if any) at the same relative place, compare the two pieces directly.
  if (a.holeStart - a.start === b.holeStart - b.start) {
    const head = a.holeStart - a.start;
    for (let k = 0; k < head; k++) if (body[a.start + k] !== body[b.start + k]) return false;
    const tail = a.end - a.holeEnd;
    for (let k = 0; k < tail; k++) if (body[a.holeEnd + k] !== body[b.holeEnd + k]) return false;
    return true;
  }
  for (let k = 0; k < n; k++) if (byteAt(body, a, k) !== byteAt(body, b, k)) return false;
  return true;
}

/**
 * The groups seen so far, by a hash of their bytes: no string per sample. Colliding hashes are told
 * apart by comparing the bytes.
 */
class GroupSet {
  private readonly rows = new Map<number, number[]>();
  private readonly other: GroupSpan = { start: 0, holeStart: 0, holeEnd: 0, end: 0 };

  constructor(
    private readonly body: Buffer,
    private readonly table: SampleTable,
    private readonly type: MetricType,
    private readonly roleOf: (row: number) => SampleRole,
  ) {}

  has(span: GroupSpan): boolean {
    const rows = this.rows.get(hashSpan(this.body, span));
    if (!rows) return false;
    for (const row of rows) {
      groupOf(this.table, row, this.type, this.roleOf(row), this.other);
      if (spansEqual(this.body, span, this.other)) return true;
    }
    return false;
  }

  add(span: GroupSpan, row: number): void {
    const hash = hashSpan(this.body, span);
    const rows = this.rows.get(hash);
    if (rows) rows.push(row);
    else this.rows.set(hash, [row]);
  }
}

/** FNV-1a over the span's bytes, skipping its hole. */
function hashSpan(body: Buffer, span: GroupSpan): number {
  let h = 0x811c9dc5;
  for (let i = span.start; i < span.holeStart; i++) h = Math.imul(h ^ body[i], 0x01000193);
  for (let i = span.holeEnd; i < span.end; i++) h = Math.imul(h ^ body[i], 0x01000193);
  return h >>> 0;
}

function copySpan(from: GroupSpan, to: GroupSpan): void {
  to.start = from.start;
  to.holeStart = from.holeStart;
  to.holeEnd = from.holeEnd;
  to.end = from.end;
}

function timestampOf(body: Buffer, table: SampleTable, row: number, format: ExpositionFormat): number {
  const s = table.timestampStart[row];
  const e = table.timestampEnd[row];
  // Classic timestamps are milliseconds, OpenMetrics ones seconds: only their order matters here.
  return format === 'openmetrics'
    ? (parseOpenMetricsTimestamp(body, s, e) as number)
    : Number(latin1(body, s, e));
}

function timestampBytesEqual(body: Buffer, table: SampleTable, a: number, b: number): boolean {
  const sa = table.timestampStart[a];
  const sb = table.timestampStart[b];
  if (sa < 0 || sb < 0) return sa < 0 && sb < 0;
  return latin1(body, sa, table.timestampEnd[a]) === latin1(body, sb, table.timestampEnd[b]);
}

function hasLabelNamed(body: Buffer, start: number, end: number, name: string): boolean {
  // Label blocks were validated by the scanner: names follow `{` or `,`, end at `=`; values are quoted.
  let i = start;
  while (i < end) {
    while (i < end && !isLabelNameChar(body[i])) i++;
    const nameStart = i;
    while (i < end && isLabelNameChar(body[i])) i++;
    if (bytesEqual(body, nameStart, i, name)) return true;
    while (i < end && body[i] !== 0x22) i++;
    i++;
    while (i < end && body[i] !== 0x22) i += body[i] === 0x5c ? 2 : 1;
    i++;
  }
  return false;
}
