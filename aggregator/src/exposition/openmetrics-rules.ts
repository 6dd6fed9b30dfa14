// The OpenMetrics 1.0 rules a family must keep beyond line syntax: values allowed per sample kind,
// label requirements, grouping and timestamp order, histogram consistency, exemplar placement.
// Used on every OpenMetrics upstream, and on classic-text families before they are written as
// OpenMetrics, so that what we write is what strict parsers accept. One pass over the samples.
import { bytesEqual, isLabelNameChar, latin1, sameBytes, wordView } from './_bytes';
import { decodeLabels } from './_label-rewrite';
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

const newSpan = (): GroupSpan => ({ start: 0, holeStart: 0, holeEnd: 0, end: 0 });

/**
 * Checks one family as OpenMetrics. `roleMap` gives the OpenMetrics role of each stored role (a
 * classic counter's bare sample is a `_total` sample once written as OpenMetrics).
 */
export function checkOpenMetricsFamily(
  body: Buffer,
  table: SampleTable,
  name: string,
  type: MetricType,
  samples: readonly number[],
  sourceFormat: ExpositionFormat,
  roleMap?: readonly (SampleRole | -1)[],
): RuleViolation | undefined {
  // Classic families come back with the same lines scrape after scrape (see `replayText`): their
  // shape was judged last time, and only their values are judged again.
  const shapeKey = sourceFormat === 'text' ? `${name} ${type} ${roleMapKey(roleMap)}` : undefined;
  const known = shapeKey === undefined ? undefined : knownShapes.get(samples)?.get(shapeKey);
  if (known !== undefined) {
    // Gauges and unknowns have no rule on values.
    if (type === 'gauge' || type === 'unknown') return undefined;
    return checkValues(table, name, type, samples, roleMap, known);
  }
  const current = newSpan();
  const previous = newSpan();
  const view = wordView(body);
  const seenGroups = new GroupSet(body, view, table, type, roleMap);
  const seenKeys = new Set<string>();
  let previousKey = '';
  const histogram = type === 'histogram' || type === 'gaugehistogram' ? new HistogramRun(name) : undefined;
  let previousRow = -1;
  let previousTimestamp: number | undefined;
  let shape: Shape | undefined =
    shapeKey === undefined
      ? undefined
      : { starts: new Uint8Array(samples.length), le: new Float64Array(histogram ? samples.length : 0) };
  // Label blocks with blanks or a trailing comma (classic text) compare as decoded, sorted labels.
  const keyed = samples.some((row) => table.flags[row] & LabelFlags.LooseSyntax);

  for (let k = 0; k < samples.length; k++) {
    const row = samples[k];
    const mapped = mappedRole(table, row, roleMap);
    // Samples the role map leaves out belong to another output family.
    if (mapped === -1) continue;
    const role = mapped;
    const value = table.value[row];
    const flags = table.flags[row];
    let le = 0;

    if (type === 'stateset' && !hasLabelNamed(body, table.labelsStart[row], table.labelsEnd[row], name)) {
      return violation(table, row, name, `stateset sample needs a label named "${name}"`);
    }
    if (role === SampleRole.Bucket) {
      if (!(flags & LabelFlags.HasLe))
        return violation(table, row, name, 'bucket sample without an "le" label');
      const parsed = parseOpenMetricsNumber(body, table.leValueStart[row], table.leValueEnd[row]);
      if (parsed === undefined || Number.isNaN(parsed))
        return violation(table, row, name, 'bucket "le" label is not a number');
      le = parsed;
      if (
        le === Number.POSITIVE_INFINITY &&
        !bytesEqual(body, table.leValueStart[row], table.leValueEnd[row], '+Inf')
      ) {
        return violation(table, row, name, 'the infinite bucket must be written le="+Inf"');
      }
    }
    const early = earlyValueRule(role, value);
    if (early !== undefined) return violation(table, row, name, early);
    if (type === 'summary' && role === SampleRole.Bare) {
      if (!(flags & LabelFlags.HasQuantile)) {
        return violation(table, row, name, 'summary quantile sample without a "quantile" label');
      }
      const q = parseOpenMetricsNumber(body, table.quantileValueStart[row], table.quantileValueEnd[row]);
      if (q === undefined || !(q >= 0 && q <= 1)) {
        return violation(table, row, name, '"quantile" label must be a number from 0 to 1');
      }
    }
    const quantile = quantileValueRule(type, role, value);
    if (quantile !== undefined) return violation(table, row, name, quantile);

    // Grouping: the samples of one metric (label set) are contiguous, their timestamps all there or
    // all absent, and never going back.
    const hasTimestamp = table.timestampStart[row] >= 0;
    const timestamp = hasTimestamp ? timestampOf(body, table, row, sourceFormat) : undefined;
    const first = previousRow < 0;
    groupOf(table, row, type, role, current);
    const key = keyed ? canonicalKey(body, table, row, type, role) : '';
    const sameGroup =
      !first && (type === 'info' || (keyed ? key === previousKey : spansEqual(view, current, previous)));
    if (!sameGroup && (keyed ? seenKeys.has(key) : !seenGroups.addNew(current, row))) {
      return violation(table, row, name, 'samples of one metric are not contiguous');
    }
    previousKey = key;
    if (!sameGroup && keyed) seenKeys.add(key);
    if (shape !== undefined) {
      // Timestamps change from scrape to scrape: a family with them is judged in full each time.
      if (hasTimestamp) shape = undefined;
      else {
        shape.starts[k] = sameGroup ? 0 : 1;
        if (histogram) shape.le[k] = le;
      }
    }
    if (sameGroup) {
      if (hasTimestamp !== (previousTimestamp !== undefined)) {
        return violation(table, row, name, 'some samples of a metric have a timestamp and others do not');
      }
      if (
        timestamp !== undefined &&
        previousTimestamp !== undefined &&
        timestamp < previousTimestamp &&
        type !== 'info'
      ) {
        return violation(table, row, name, 'timestamps go backwards within a metric');
      }
    }

    if (histogram) {
      // A histogram's consistency is judged per metric and timestamp.
      if (!first && !(sameGroup && timestampBytesEqual(body, table, row, previousRow))) {
        const broken = histogram.finish(table.line[previousRow]);
        if (broken) return broken;
      }
      const broken = histogram.add(role, value, le, table.line[row]);
      if (broken) return broken;
    }
    const swap = previous;
    copySpan(current, swap);
    previousRow = row;
    previousTimestamp = timestamp;

    const late = lateValueRule(type, role, value);
    if (late !== undefined) return violation(table, row, name, late);
    if (table.exemplarStart[row] >= 0) {
      const allowed =
        (histogram !== undefined && role === SampleRole.Bucket) ||
        (type === 'counter' && role === SampleRole.Total);
      if (!allowed) {
        return violation(
          table,
          row,
          name,
          'exemplars are only allowed on counter _total and histogram _bucket samples',
        );
      }
    }
  }
  const broken = histogram && previousRow >= 0 ? histogram.finish(table.line[previousRow]) : undefined;
  if (broken === undefined && shape !== undefined && shapeKey !== undefined) {
    let byKey = knownShapes.get(samples);
    if (byKey === undefined) {
      byKey = new Map();
      knownShapes.set(samples, byKey);
    }
    byKey.set(shapeKey, shape);
  }
  return broken;
}

/** What the checks learnt from a family's lines but its values: the same lines give the same shape. */
interface Shape {
  /** 1 at the first sample of each metric (label set), by position in the family's samples. */
  readonly starts: Uint8Array;
  /** Each bucket's parsed `le`, by position (histograms only). */
  readonly le: Float64Array;
}

const roleMapKeys = new WeakMap<readonly (SampleRole | -1)[], string>();

/** A role map as text, made once per map (the plan's maps are made once). */
function roleMapKey(roleMap: readonly (SampleRole | -1)[] | undefined): string {
  if (roleMap === undefined) return '';
  let key = roleMapKeys.get(roleMap);
  if (key === undefined) {
    key = roleMap.join();
    roleMapKeys.set(roleMap, key);
  }
  return key;
}

/**
 * Shapes of families that passed every rule, by the family's rows array (shared by the parses of
 * one upstream's lines; see `replayText`) and the way they were checked; kept as long as the rows live.
 */
const knownShapes = new WeakMap<readonly number[], Map<string, Shape>>();

/**
 * The rules on values alone, for a family whose shape already passed: the same violations, in the
 * same order, as the full check finds (its other rules hold for the same lines).
 */
function checkValues(
  table: SampleTable,
  name: string,
  type: MetricType,
  samples: readonly number[],
  roleMap: readonly (SampleRole | -1)[] | undefined,
  shape: Shape,
): RuleViolation | undefined {
  const histogram = type === 'histogram' || type === 'gaugehistogram' ? new HistogramRun(name) : undefined;
  let previousRow = -1;
  for (let k = 0; k < samples.length; k++) {
    const row = samples[k];
    const role = mappedRole(table, row, roleMap);
    if (role === -1) continue;
    const value = table.value[row];
    const early = earlyValueRule(role, value) ?? quantileValueRule(type, role, value);
    if (early !== undefined) return violation(table, row, name, early);
    if (histogram) {
      if (previousRow >= 0 && shape.starts[k] === 1) {
        const broken = histogram.finish(table.line[previousRow]);
        if (broken) return broken;
      }
      const broken = histogram.add(role, value, shape.le[k], table.line[row]);
      if (broken) return broken;
    }
    const late = lateValueRule(type, role, value);
    if (late !== undefined) return violation(table, row, name, late);
    previousRow = row;
  }
  return histogram && previousRow >= 0 ? histogram.finish(table.line[previousRow]) : undefined;
}

/** The role a sample has in the family checked, or -1 when the role map leaves it out. */
function mappedRole(
  table: SampleTable,
  row: number,
  roleMap: readonly (SampleRole | -1)[] | undefined,
): SampleRole | -1 {
  return roleMap ? roleMap[table.role[row]] : (table.role[row] as SampleRole);
}

/** Bucket and count values are integers. */
function earlyValueRule(role: SampleRole, value: number): string | undefined {
  if (role === SampleRole.Bucket && !Number.isInteger(value)) return 'bucket value must be an integer';
  if ((role === SampleRole.Count || role === SampleRole.GCount) && !Number.isInteger(value)) {
    return 'count value must be an integer';
  }
  return undefined;
}

function quantileValueRule(type: MetricType, role: SampleRole, value: number): string | undefined {
  return type === 'summary' && role === SampleRole.Bare && value < 0
    ? 'quantile values cannot be negative'
    : undefined;
}

/** Stateset and info values, and what counter-like values cannot be. */
function lateValueRule(type: MetricType, role: SampleRole, value: number): string | undefined {
  if (type === 'stateset' && value !== 0 && value !== 1) return 'stateset values must be 0 or 1';
  if (type === 'info' && value !== 1) return 'info values must be 1';
  const counterLike =
    role === SampleRole.Total ||
    role === SampleRole.Sum ||
    role === SampleRole.Count ||
    role === SampleRole.Bucket ||
    role === SampleRole.GCount;
  if ((counterLike || role === SampleRole.GSum) && Number.isNaN(value))
    return 'counter-like values cannot be NaN';
  if (counterLike && value < 0) return 'counter-like values cannot be negative';
  return undefined;
}

function violation(table: SampleTable, row: number, name: string, reason: string): RuleViolation {
  return { line: table.line[row], reason: `${reason} (metric family "${name}")` };
}

/** One metric of a histogram: ordered buckets ending at +Inf, counts consistent with buckets. */
class HistogramRun {
  private bucket: number | undefined;
  private bucketValue = 0;
  private count: number | undefined;
  private hasSum = false;
  private hasGSum = false;
  private negativeBuckets = false;
  private negativeGSum = false;

  constructor(private readonly name: string) {}

  add(role: SampleRole, value: number, le: number, line: number): RuleViolation | undefined {
    if (role === SampleRole.Bucket) {
      if (le < 0) this.negativeBuckets = true;
      if (this.bucket !== undefined && le <= this.bucket)
        return this.fail(line, 'buckets are not in increasing "le" order');
      if (value < this.bucketValue) return this.fail(line, 'bucket values decrease');
      this.bucket = le;
      this.bucketValue = value;
    } else if (role === SampleRole.Count || role === SampleRole.GCount) {
      this.count = value;
    } else if (role === SampleRole.Sum) {
      this.hasSum = true;
    } else if (role === SampleRole.GSum) {
      this.hasGSum = true;
      if (value < 0) this.negativeGSum = true;
    }
    return undefined;
  }

  /** Judges the metric that just ended and starts afresh. */
  finish(line: number): RuleViolation | undefined {
    let reason: string | undefined;
    if (this.bucket !== Number.POSITIVE_INFINITY) reason = 'the +Inf bucket is missing';
    else if (this.count !== undefined && this.count !== this.bucketValue)
      reason = '_count differs from the +Inf bucket';
    else if (this.hasSum && this.count === undefined) reason = '_count must be present when _sum is';
    else if (this.hasGSum && this.count === undefined) reason = '_gcount must be present when _gsum is';
    else if (!(this.hasSum || this.hasGSum) && this.count !== undefined)
      reason = '_sum must be present when _count is';
    else if (this.negativeBuckets && this.hasSum)
      reason = 'a histogram with negative buckets cannot have _sum';
    else if (!this.negativeBuckets && this.negativeGSum) reason = 'negative _gsum needs negative buckets';
    this.bucket = this.count = undefined;
    this.bucketValue = 0;
    this.hasSum = this.hasGSum = this.negativeBuckets = this.negativeGSum = false;
    return reason === undefined ? undefined : this.fail(line, reason);
  }

  private fail(line: number, reason: string): RuleViolation {
    return { line, reason: `${reason} (histogram "${this.name}")` };
  }
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
  // A stateset's states differ in one label of a name only known per family; each state counts as
  // its own group here, which only forgoes checking timestamp order across the states of a set.
}

/** The group of a sample as its decoded labels, sorted, without the label that varies in the group. */
function canonicalKey(
  body: Buffer,
  table: SampleTable,
  row: number,
  type: MetricType,
  role: SampleRole,
): string {
  if (type === 'info') return '';
  const skip =
    role === SampleRole.Bucket ? 'le' : type === 'summary' && role === SampleRole.Bare ? 'quantile' : '';
  return JSON.stringify(
    decodeLabels(body, table.labelsStart[row], table.labelsEnd[row])
      .filter((l) => l.name !== skip)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((l) => [l.name, l.value]),
  );
}

function spanLength(span: GroupSpan): number {
  return span.end - span.start - (span.holeEnd - span.holeStart);
}

function spansEqual(view: DataView, a: GroupSpan, b: GroupSpan): boolean {
  const n = spanLength(a);
  if (n !== spanLength(b)) return false;
  // At most three pieces, each ending where a hole starts in either span.
  const headA = a.holeStart - a.start;
  const headB = b.holeStart - b.start;
  let k = 0;
  while (k < n) {
    const atA = k < headA ? a.start + k : a.holeEnd + (k - headA);
    const atB = k < headB ? b.start + k : b.holeEnd + (k - headB);
    const piece = Math.min(k < headA ? headA - k : n - k, k < headB ? headB - k : n - k);
    if (!sameBytes(view, atA, atB, piece)) return false;
    k += piece;
  }
  return true;
}

function copySpan(from: GroupSpan, to: GroupSpan): void {
  to.start = from.start;
  to.holeStart = from.holeStart;
  to.holeEnd = from.holeEnd;
  to.end = from.end;
}

/**
 * The groups seen so far, bucketed by a cheap hash of their bytes (length, head and tail): no string
 * per sample. Bytes decide equality within a bucket.
 */
class GroupSet {
  private readonly rows = new Map<number, number[]>();
  private readonly other = newSpan();

  constructor(
    private readonly body: Buffer,
    private readonly view: DataView,
    private readonly table: SampleTable,
    private readonly type: MetricType,
    private readonly roleMap: readonly (SampleRole | -1)[] | undefined,
  ) {}

  /** Adds the group of `row`; false when it was there already. */
  addNew(span: GroupSpan, row: number): boolean {
    const hash = hashSpan(this.body, span);
    const rows = this.rows.get(hash);
    if (!rows) {
      this.rows.set(hash, [row]);
      return true;
    }
    for (const other of rows) {
      const role = (
        this.roleMap ? this.roleMap[this.table.role[other]] : this.table.role[other]
      ) as SampleRole;
      groupOf(this.table, other, this.type, role, this.other);
      if (spansEqual(this.view, span, this.other)) return false;
    }
    rows.push(row);
    return true;
  }
}

/** FNV-1a over the length, the first 8 and the last 24 bytes of the span: label sets differ mostly at their ends. */
function hashSpan(body: Buffer, span: GroupSpan): number {
  const n = spanLength(span);
  const h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  const head = Math.min(8, n);
  return hashBytes(body, span, hashBytes(body, span, h, 0, head), Math.max(head, n - 24), n);
}

/** Hashes the span's bytes from..to, counted with the hole taken out. */
function hashBytes(body: Buffer, span: GroupSpan, h: number, from: number, to: number): number {
  const beforeHole = span.holeStart - span.start;
  for (let k = from; k < to && k < beforeHole; k++) h = Math.imul(h ^ body[span.start + k], 0x01000193);
  const shift = span.start + (span.holeEnd - span.holeStart);
  for (let k = Math.max(from, beforeHole); k < to; k++) h = Math.imul(h ^ body[shift + k], 0x01000193);
  return h;
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
  const length = table.timestampEnd[a] - sa;
  if (length !== table.timestampEnd[b] - sb) return false;
  for (let k = 0; k < length; k++) if (body[sa + k] !== body[sb + k]) return false;
  return true;
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
