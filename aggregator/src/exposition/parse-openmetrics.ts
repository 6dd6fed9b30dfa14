// OpenMetrics 1.0 text, read strictly: every rule of the specification that its conformance suite
// tests is enforced, so an upstream that is not valid OpenMetrics is reported, never half-used.
import {
  bytesEqual,
  HASH,
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
import { parseOpenMetricsNumber, parseOpenMetricsTimestamp } from './_numbers';
import { type Family, type MetricType, type ParsedExposition, undeclaredFamily } from './family';
import { checkOpenMetricsFamily } from './openmetrics-rules';
import { ExpositionParseError } from './parse-error';
import { SampleRole, SUFFIXES } from './sample-role';
import { LabelFlags, SampleTable } from './sample-table';

const TYPES = new Set<MetricType>([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);

/** The longest an exemplar's label set may be, in characters (OpenMetrics 1.0, "Exemplars"). */
const EXEMPLAR_MAX_RUNES = 128;

interface OpenFamily extends Family {
  helpSeen: boolean;
  unitSeen: boolean;
}

export function parseOpenMetrics(body: Buffer, reservedLabels: readonly string[]): ParsedExposition {
  return new OpenMetricsParser(body, reservedLabels).parse();
}

class OpenMetricsParser {
  private readonly samples: SampleTable;
  private readonly families: Family[] = [];
  /** Every sample name a closed family may produce: a name must never mean two families. */
  private readonly claimedNames = new Set<string>();
  private readonly labels: LabelScanner;
  private readonly exemplarLabels = new LabelScanner([], true);
  private current: OpenFamily | undefined;
  /** Where the last sample's name was, and its role (for the repeated-name shortcut); -1 after metadata. */
  private lastNameStart = -1;
  private lastNameEnd = -1;
  private lastRole: SampleRole = SampleRole.Bare;
  private readonly view: DataView;
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
    let sawEof = false;
    while (pos < end) {
      this.line++;
      let lineEnd = body.indexOf(LF, pos);
      if (lineEnd < 0) lineEnd = end;
      if (bytesEqual(body, pos, lineEnd, '# EOF')) {
        if (lineEnd + 1 < end) {
          this.line++;
          this.fail('text after "# EOF"');
        }
        sawEof = true;
        break;
      }
      if (lineEnd === end) this.fail('the last line does not end with a newline and is not "# EOF"');
      if (lineEnd === pos) this.fail('blank line');
      if (body[pos] === HASH) this.metadata(pos, lineEnd);
      else this.sample(pos, lineEnd);
      pos = lineEnd + 1;
    }
    if (!sawEof) {
      this.line++;
      this.fail('missing "# EOF" at the end');
    }
    this.close();
    this.samples.fit();
    return {
      format: 'openmetrics',
      body,
      families: this.families,
      samples: this.samples,
      reservedLabels: this.reservedLabels,
    };
  }

  private fail(reason: string, line = this.line): never {
    throw new ExpositionParseError(line, reason);
  }

  private metadata(start: number, end: number): void {
    const body = this.body;
    this.lastNameStart = -1;
    // "# " keyword " " name " " rest: single spaces, nothing optional.
    if (body[start + 1] !== SPACE) this.fail(`invalid comment ${quoteBytes(body, start, end)}`);
    const keywordStart = start + 2;
    const keywordEnd = keywordStart + 4;
    const keyword = keywordEnd <= end ? latin1(body, keywordStart, keywordEnd) : '';
    if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') {
      this.fail(`invalid comment ${quoteBytes(body, start, end)} (expected # HELP, # TYPE, # UNIT or # EOF)`);
    }
    if (body[keywordEnd] !== SPACE || keywordEnd >= end) this.fail(`${keyword} line without a metric name`);
    let i = keywordEnd + 1;
    const nameStart = i;
    if (i >= end || !isMetricNameStart(body[i])) this.fail(`${keyword} line without a valid metric name`);
    while (i < end && isMetricNameChar(body[i])) i++;
    const name = latin1(body, nameStart, i);
    if (i >= end || body[i] !== SPACE) {
      this.fail(
        i >= end
          ? `${keyword} line for "${name}" has no value`
          : `invalid metric name ${quoteBytes(body, nameStart, end)}`,
      );
    }
    const rest = i + 1;
    let family = this.current;
    if (family && family.name === name && family.samples.length > 0) {
      this.fail(`${keyword} for "${name}" comes after its samples`);
    }
    if (!family || family.name !== name) {
      this.close();
      family = this.open(name);
    }
    if (keyword === 'HELP') {
      if (family.helpSeen) this.fail(`second HELP for "${name}"`);
      family.helpSeen = true;
      family.help = unescapeHelp(body.toString('utf8', rest, end));
    } else if (keyword === 'TYPE') {
      if (family.typed) this.fail(`second TYPE for "${name}"`);
      const word = latin1(body, rest, end);
      if (!TYPES.has(word as MetricType))
        this.fail(`invalid metric type ${JSON.stringify(word)} for "${name}"`);
      family.type = word as MetricType;
      family.typed = true;
    } else {
      if (family.unitSeen) this.fail(`second UNIT for "${name}"`);
      family.unitSeen = true;
      for (let k = rest; k < end; k++) {
        if (!isMetricNameChar(body[k]))
          this.fail(`invalid unit ${quoteBytes(body, rest, end)} for "${name}"`);
      }
      family.unit = rest < end ? latin1(body, rest, end) : undefined;
    }
  }

  private open(name: string): OpenFamily {
    const family: OpenFamily = { ...undeclaredFamily(name, this.line), helpSeen: false, unitSeen: false };
    this.current = family;
    return family;
  }

  /** Ends the current family: checks what can only be judged on the whole family. */
  private close(): void {
    const family = this.current;
    if (!family) return;
    this.current = undefined;
    const { name, type, unit } = family;
    for (const role of new Set([SampleRole.Bare, ...rolesOf('openmetrics', type)])) {
      const claimed = name + SUFFIXES[role];
      if (this.claimedNames.has(claimed)) {
        this.fail(
          `metric family "${name}" clashes with another family over the name "${claimed}"`,
          family.line,
        );
      }
      this.claimedNames.add(claimed);
    }
    if (unit !== undefined) {
      if (!name.endsWith(`_${unit}`)) this.fail(`unit "${unit}" is not a suffix of "${name}"`, family.line);
      if (type === 'info' || type === 'stateset')
        this.fail(`a ${type} cannot have a unit ("${name}")`, family.line);
    }
    const violation = checkOpenMetricsFamily(
      this.body,
      this.samples,
      name,
      type,
      family.samples,
      'openmetrics',
    );
    if (violation) this.fail(violation.reason, violation.line);
    this.families.push(family);
  }

  private sample(start: number, end: number): void {
    const body = this.body;
    const table = this.samples;
    let i = start;
    let family = this.current;
    let role: SampleRole | -1;
    const last = this.lastNameStart;
    const lastLength = this.lastNameEnd - last;
    const after = start + lastLength;
    if (
      family &&
      last >= 0 &&
      after <= end &&
      sameBytes(this.view, start, last, lastLength) &&
      (after === end || !isMetricNameChar(body[after]))
    ) {
      // The previous sample's name again (histogram buckets): one comparison, no scan.
      i = after;
      role = this.lastRole;
    } else {
      // Otherwise it mostly changes suffix within the family (_bucket to _sum): the family's name,
      // which the previous name starts with, is compared rather than scanned.
      const known = family && last >= 0 ? family.name.length : 0;
      if (family && known > 0 && start + known <= end && sameBytes(this.view, start, last, known)) {
        i = start + known;
        while (i < end && isMetricNameChar(body[i])) i++;
        role = suffixRole(body, start + known, i, rolesOf('openmetrics', family.type));
      } else {
        if (!isMetricNameStart(body[i])) this.fail(`invalid metric name at ${quoteBytes(body, i, end)}`);
        i++;
        while (i < end && isMetricNameChar(body[i])) i++;
        role = family ? roleIn(body, start, i, family.name, rolesOf('openmetrics', family.type)) : -1;
      }
      if (!family || role < 0) {
        this.close();
        family = this.open(latin1(body, start, i));
        role = SampleRole.Bare;
      }
    }
    const nameEnd = i;
    this.lastNameStart = start;
    this.lastNameEnd = nameEnd;
    this.lastRole = role as SampleRole;
    const row = table.add(role as SampleRole, this.line);
    family.samples.push(row);
    table.nameStart[row] = start;

    let flags = 0;
    if (i < end && body[i] === OPEN_BRACE) {
      const labels = this.labels;
      const after = labels.scan(body, i + 1, end, true);
      if (after < 0) this.fail(labels.error);
      flags = labels.recordInto(table, row, i + 1, after);
      i = after;
    } else {
      table.labelsStart[row] = table.labelsEnd[row] = i;
    }
    table.flags[row] = flags;
    if (i >= end || body[i] !== SPACE) {
      this.fail(
        i >= end ? 'sample has no value' : `invalid character in sample at ${quoteBytes(body, i, end)}`,
      );
    }
    i++;

    const valueStart = i;
    while (i < end && body[i] !== SPACE) i++;
    const value = parseOpenMetricsNumber(body, valueStart, i);
    if (value === undefined) this.fail(`invalid value ${quoteBytes(body, valueStart, i)}`);
    table.value[row] = value;
    table.valueStart[row] = valueStart;
    table.valueEnd[row] = i;
    table.timestampStart[row] = -1;
    table.exemplarStart[row] = -1;
    table.end[row] = end;
    if (i === end) {
      // No timestamp, no exemplar: the line is valid classic text as it stands.
      table.flags[row] = flags | LabelFlags.Portable;
      return;
    }
    i++; // The space after the value.

    if (body[i] !== HASH) {
      const timestampStart = i;
      while (i < end && body[i] !== SPACE) i++;
      if (parseOpenMetricsTimestamp(body, timestampStart, i) === undefined) {
        this.fail(`invalid timestamp ${quoteBytes(body, timestampStart, i)}`);
      }
      table.timestampStart[row] = timestampStart;
      table.timestampEnd[row] = i;
      if (i === end) return;
      i++;
    }
    this.exemplar(row, i, end);
  }

  /** ` # {labels} value [timestamp]`, from the `#`. */
  private exemplar(row: number, start: number, end: number): void {
    const body = this.body;
    let i = start;
    if (body[i] !== HASH || body[i + 1] !== SPACE || body[i + 2] !== OPEN_BRACE || i + 2 >= end) {
      this.fail(`expected an exemplar " # {...} value" at ${quoteBytes(body, i, end)}`);
    }
    const scanner = this.exemplarLabels;
    i = scanner.scan(body, i + 3, end, true);
    if (i < 0) this.fail(`exemplar: ${scanner.error}`);
    if (scanner.runeCount > EXEMPLAR_MAX_RUNES) {
      this.fail(`exemplar labels are ${scanner.runeCount} characters long (at most ${EXEMPLAR_MAX_RUNES})`);
    }
    if (i >= end || body[i] !== SPACE) this.fail('exemplar has no value');
    i++;
    const valueStart = i;
    while (i < end && body[i] !== SPACE) i++;
    if (parseOpenMetricsNumber(body, valueStart, i) === undefined) {
      this.fail(`invalid exemplar value ${quoteBytes(body, valueStart, i)}`);
    }
    if (i < end) {
      i++;
      const timestampStart = i;
      while (i < end && body[i] !== SPACE) i++;
      if (parseOpenMetricsTimestamp(body, timestampStart, i) === undefined) {
        this.fail(`invalid exemplar timestamp ${quoteBytes(body, timestampStart, i)}`);
      }
      if (i < end) this.fail(`unexpected text after the exemplar: ${quoteBytes(body, i, end)}`);
    }
    this.samples.exemplarStart[row] = start;
    this.samples.exemplarEnd[row] = end;
  }
}

/** OpenMetrics HELP escapes are \\ \n \"; any other backslash stays as it is. */
function unescapeHelp(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([\\n"])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}
