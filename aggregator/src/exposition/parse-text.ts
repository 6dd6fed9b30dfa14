// Classic Prometheus text format 0.0.4, read as Prometheus itself reads it: what Prometheus would
// store, we keep; what makes Prometheus fail the scrape, we reject. Metadata is advisory there (a
// late or repeated TYPE/HELP does not fail a scrape), so it is here: the first one wins.
import {
  bytesEqual,
  HASH,
  isBlank,
  isMetricNameChar,
  isMetricNameStart,
  LF,
  latin1,
  OPEN_BRACE,
  quoteBytes,
  SPACE,
  sameBytes,
  wordView,
} from './_bytes';
import { roleIn, rolesOf, suffixRole } from './_family-roles';
import { LabelScanner } from './_label-scanner';
import { isTextTimestamp, parseOpenMetricsNumber, parseTextNumber } from './_numbers';
import { type Family, type MetricType, type ParsedExposition, undeclaredFamily } from './family';
import { ExpositionParseError } from './parse-error';
import { SampleRole, SUFFIXES } from './sample-role';
import { LabelFlags, SampleTable } from './sample-table';

const TEXT_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

// Suffixes that tie a sample to a histogram or summary family of another name.
const COMPOSITE_SUFFIXES: readonly SampleRole[] = [SampleRole.Bucket, SampleRole.Sum, SampleRole.Count];

export function parseText(body: Buffer, reservedLabels: readonly string[]): ParsedExposition {
  return new TextParser(body, reservedLabels).parse();
}

class TextParser {
  private readonly samples: SampleTable;
  private readonly families: Family[] = [];
  /** Families by name: declared ones and those implied by a sample. */
  private readonly byName = new Map<string, Family>();
  /** Untyped families for samples whose name is taken by a family they do not fit (Prometheus keeps them). */
  private readonly strays = new Map<string, Family>();
  private readonly labels: LabelScanner;
  private readonly view: DataView;
  private current: Family | undefined;
  /** Role of the last sample in its family, and where its name was (for the repeated-name shortcut). */
  private role: SampleRole = SampleRole.Bare;
  private lastNameStart = -1;
  private lastNameEnd = -1;
  private line = 0;

  constructor(
    private readonly body: Buffer,
    private readonly reservedLabels: readonly string[],
  ) {
    this.labels = new LabelScanner(reservedLabels);
    this.view = wordView(body);
    // About one sample per 64 bytes in typical bodies; the table grows if there are more.
    this.samples = new SampleTable(body.length >> 6);
  }

  parse(): ParsedExposition {
    const body = this.body;
    const end = body.length;
    let pos = 0;
    while (pos < end) {
      let lineEnd = body.indexOf(LF, pos);
      if (lineEnd < 0) lineEnd = end;
      this.line++;
      let i = pos;
      while (i < lineEnd && isBlank(body[i])) i++;
      if (i < lineEnd) {
        if (body[i] === HASH) this.comment(i + 1, lineEnd);
        else this.sample(i, lineEnd, i === pos);
      }
      pos = lineEnd + 1;
    }
    this.samples.fit();
    return {
      format: 'text',
      body,
      families: this.families,
      samples: this.samples,
      reservedLabels: this.reservedLabels,
    };
  }

  private fail(reason: string): never {
    throw new ExpositionParseError(this.line, reason);
  }

  private comment(start: number, end: number): void {
    const body = this.body;
    let i = start;
    while (i < end && isBlank(body[i])) i++;
    const keywordStart = i;
    while (i < end && !isBlank(body[i])) i++;
    const isHelp = bytesEqual(body, keywordStart, i, 'HELP');
    if (!isHelp && !bytesEqual(body, keywordStart, i, 'TYPE')) return; // A plain comment.
    while (i < end && isBlank(body[i])) i++;
    const nameStart = i;
    if (i >= end || !isMetricNameStart(body[i]))
      this.fail(`${isHelp ? 'HELP' : 'TYPE'} line without a valid metric name`);
    while (i < end && isMetricNameChar(body[i])) i++;
    const nameEnd = i;
    if (i < end && !isBlank(body[i])) this.fail(`invalid metric name ${quoteBytes(body, nameStart, end)}`);
    while (i < end && isBlank(body[i])) i++;
    const name = latin1(body, nameStart, nameEnd);
    const family = this.familyNamed(name);
    if (isHelp) {
      if (family.help === undefined) family.help = unescapeHelp(body.toString('utf8', i, end));
    } else {
      let typeEnd = end;
      while (typeEnd > i && isBlank(body[typeEnd - 1])) typeEnd--;
      const word = latin1(body, i, typeEnd);
      const type = TEXT_TYPES[word.toLowerCase()];
      if (type === undefined) this.fail(`invalid metric type ${JSON.stringify(word)} for "${name}"`);
      this.declareType(family, type);
    }
    this.current = family;
    this.lastNameStart = -1;
  }

  private familyNamed(name: string): Family {
    let family = this.byName.get(name);
    if (!family) {
      family = this.newFamily(name);
      this.byName.set(name, family);
    }
    return family;
  }

  /** An untyped family, until a TYPE line says otherwise, listed in order of appearance. */
  private newFamily(name: string): Family {
    const family = undeclaredFamily(name, this.line);
    this.families.push(family);
    return family;
  }

  // A TYPE after samples, or a second TYPE, is only honoured where it cannot misplace a sample.
  private declareType(family: Family, type: MetricType): void {
    if (family.typed) return;
    const roles = rolesOf('text', type);
    for (const row of family.samples) if (!roles.includes(this.samples.role[row])) return;
    family.type = type;
    family.typed = true;
  }

  private sample(start: number, end: number, atLineStart: boolean): void {
    const body = this.body;
    const table = this.samples;
    let i = start;
    let family: Family;
    const last = this.lastNameStart;
    const lastLength = this.lastNameEnd - last;
    const after = start + lastLength;
    if (
      last >= 0 &&
      after <= end &&
      sameBytes(this.view, start, last, lastLength) &&
      (after === end || !isMetricNameChar(body[after]))
    ) {
      // Consecutive samples mostly repeat the previous name (histogram buckets): one comparison, no scan.
      i = after;
      family = this.current as Family;
      this.lastNameStart = start;
      this.lastNameEnd = after;
    } else {
      // Otherwise it mostly changes suffix within the family (_bucket to _sum): the family's name,
      // which the previous name starts with, is compared rather than scanned.
      const current = this.current;
      const known = last >= 0 && current ? current.name.length : 0;
      let role: SampleRole | -1 = -1;
      if (known > 0 && start + known <= end && sameBytes(this.view, start, last, known)) {
        i = start + known;
        while (i < end && isMetricNameChar(body[i])) i++;
        role = suffixRole(body, start + known, i, rolesOf('text', (current as Family).type));
      } else {
        if (!isMetricNameStart(body[i])) this.fail(`invalid metric name at ${quoteBytes(body, i, end)}`);
        i++;
        while (i < end && isMetricNameChar(body[i])) i++;
      }
      family =
        role >= 0 ? this.enter(current as Family, role as SampleRole, start, i) : this.familyOf(start, i);
    }
    const nameEnd = i;
    const role = this.role;
    const row = table.add(role, this.line);
    family.samples.push(row);
    table.nameStart[row] = start;

    while (i < end && isBlank(body[i])) i++;
    let flags = 0;
    if (i < end && body[i] === OPEN_BRACE) {
      const labels = this.labels;
      const after = labels.scan(body, i + 1, end, false);
      if (after < 0) this.fail(labels.error);
      flags = labels.recordInto(table, row, i + 1, after);
      i = after;
      while (i < end && isBlank(body[i])) i++;
    } else {
      if (i === nameEnd && i < end)
        this.fail(`invalid character in metric name at ${quoteBytes(body, i, end)}`);
      table.labelsStart[row] = table.labelsEnd[row] = i;
    }

    const valueStart = i;
    while (i < end && !isBlank(body[i])) i++;
    if (i === valueStart) this.fail(`sample "${family.name}${SUFFIXES[role]}" has no value`);
    const value = parseTextNumber(body, valueStart, i);
    if (value === undefined) this.fail(`invalid value ${quoteBytes(body, valueStart, i)}`);
    table.value[row] = value;
    table.valueStart[row] = valueStart;
    table.valueEnd[row] = i;
    if (i === end && atLineStart && isPortable(body, nameEnd, valueStart, i, flags))
      flags |= LabelFlags.Portable;
    table.flags[row] = flags;

    while (i < end && isBlank(body[i])) i++;
    table.exemplarStart[row] = -1;
    table.end[row] = table.valueEnd[row];
    if (i === end) {
      table.timestampStart[row] = -1;
      return;
    }
    const timestampStart = i;
    while (i < end && !isBlank(body[i])) i++;
    if (!isTextTimestamp(body, timestampStart, i)) {
      this.fail(
        `invalid timestamp ${quoteBytes(body, timestampStart, i)} (expected milliseconds since 1970, digits only)`,
      );
    }
    table.timestampStart[row] = timestampStart;
    table.timestampEnd[row] = i;
    table.end[row] = i;
    while (i < end && isBlank(body[i])) i++;
    if (i < end) this.fail(`unexpected text after the timestamp: ${quoteBytes(body, i, end)}`);
  }

  /** The family a sample name belongs to (its role in `this.role`), creating an untyped one when none fits. */
  private familyOf(s: number, e: number): Family {
    const body = this.body;
    const current = this.current;
    if (current) {
      const role = roleIn(body, s, e, current.name, rolesOf('text', current.type));
      if (role >= 0) return this.enter(current, role as SampleRole, s, e);
    }
    const name = latin1(body, s, e);
    let family = this.byName.get(name);
    if (family && rolesOf('text', family.type).includes(SampleRole.Bare))
      return this.enter(family, SampleRole.Bare, s, e);
    for (const role of COMPOSITE_SUFFIXES) {
      const suffix = SUFFIXES[role];
      if (!name.endsWith(suffix)) continue;
      const base = this.byName.get(name.slice(0, -suffix.length));
      if (base && rolesOf('text', base.type).includes(role)) return this.enter(base, role, s, e);
    }
    if (!family) return this.enter(this.familyNamed(name), SampleRole.Bare, s, e);
    family = this.strays.get(name);
    if (!family) {
      family = this.newFamily(name);
      this.strays.set(name, family);
    }
    return this.enter(family, SampleRole.Bare, s, e);
  }

  private enter(family: Family, role: SampleRole, s: number, e: number): Family {
    this.current = family;
    this.role = role;
    this.lastNameStart = s;
    this.lastNameEnd = e;
    return family;
  }
}

/**
 * Whether a sample line without timestamp is written exactly as OpenMetrics would write it: labels
 * (if any) right after the name without whitespace, one space, an OpenMetrics number.
 */
function isPortable(
  body: Buffer,
  nameEnd: number,
  valueStart: number,
  valueEnd: number,
  flags: number,
): boolean {
  if (flags & LabelFlags.LooseSyntax) return false;
  if (body[valueStart - 1] !== SPACE || isBlank(body[valueStart - 2])) return false;
  if (body[nameEnd] !== OPEN_BRACE && valueStart !== nameEnd + 1) return false;
  const first = body[valueStart];
  // A decimal (not hexadecimal) value starting with a digit is the same number in both grammars.
  if (first >= 0x30 && first <= 0x39) return true;
  return parseOpenMetricsNumber(body, valueStart, valueEnd) !== undefined;
}

/** Classic HELP escapes are \\ and \n; Prometheus keeps any other backslash as it is. */
function unescapeHelp(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
