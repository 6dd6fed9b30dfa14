// fast-check arbitraries for random expositions in both formats, written by a writer independent of
// the engine's, each paired with a model of what Prometheus must store from it (sample names,
// decoded labels, values, millisecond timestamps, exemplars) and of its metadata.
import fc from 'fast-check';

export type Format = 'text' | 'openmetrics';

export interface Label {
  readonly name: string;
  readonly value: string;
}

/** One sample as Prometheus stores it (and `decodeSamples` must return it). */
export interface ModelSample {
  readonly name: string;
  readonly labels: readonly Label[];
  readonly value: number;
  readonly timestampMs: string | undefined;
  /** OpenMetrics only: the exemplar as written, from its `#` to the end of the line. */
  readonly exemplar: string | undefined;
}

/** One family as declared: the metadata a parser must read from it. */
export interface ModelFamily {
  readonly name: string;
  /** The TYPE word as written; undefined when the family has no TYPE line. */
  readonly type: string | undefined;
  /** HELP decoded as the format's parsers decode it; undefined when there is no HELP line. */
  readonly help: string | undefined;
  readonly unit: string | undefined;
}

export interface GeneratedExposition {
  readonly format: Format;
  readonly body: Buffer;
  readonly families: readonly ModelFamily[];
  readonly samples: readonly ModelSample[];
}

export interface GeneratedSource {
  readonly origin: string;
  readonly exposition: GeneratedExposition;
}

export interface GeneratedMerge {
  readonly sources: readonly GeneratedSource[];
  /** Static labels injected on every source (MergeSource.labels). */
  readonly staticLabels: readonly Label[];
}

export interface ArbitraryOptions {
  /**
   * Avoid inputs that prometheus_client 0.16's OpenMetrics parser (Debian bookworm) mishandles
   * although they are valid OpenMetrics: `}` inside exemplar label values (its exemplar state machine
   * stops at the first `}`) and exponent timestamps without a `.` (`_parse_timestamp` raises
   * IndexError on "1e9").
   */
  readonly pythonCompatible?: boolean;
}

/** Suffixes that make a name a sample of another family; generated family names never end with one. */
export const RESERVED_SUFFIXES = [
  '_total',
  '_created',
  '_bucket',
  '_count',
  '_sum',
  '_gcount',
  '_gsum',
  '_info',
] as const;

/** Label names the merge injects in the properties: the origin label and one static label. */
export const ORIGIN_LABEL = 'origin_container';
export const STATIC_LABEL = 'pod';
export const RESERVED_LABELS = [ORIGIN_LABEL, STATIC_LABEL];

// ---------------------------------------------------------------------------------------------
// Prometheus's relabelling of scraped labels against target labels (honor_labels: false), written
// from scrape.go (mutateSampleLabels, resolveConflictingExposedLabels), independently of the engine.

/**
 * The labels Prometheus stores for a scraped sample once target labels are set: a scraped label of
 * the same name with a non-empty value moves to `exported_<name>` (prefixed again while taken,
 * shortest names first); an empty one is the same as absent.
 */
export function prometheusTargetLabels(scraped: readonly Label[], target: readonly Label[]): Label[] {
  const lb = new Map<string, string>();
  for (const { name, value } of scraped) lb.set(name, value);
  const conflicts: Label[] = [];
  for (const { name, value } of [...target].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const existing = lb.get(name) ?? '';
    if (existing !== '') conflicts.push({ name, value: existing });
    lb.set(name, value);
  }
  conflicts.sort((a, b) => a.name.length - b.name.length);
  for (const conflict of conflicts) {
    let name = conflict.name;
    for (;;) {
      name = `exported_${name}`;
      if ((lb.get(name) ?? '') === '') {
        lb.set(name, conflict.value);
        break;
      }
    }
  }
  return [...lb].map(([name, value]) => ({ name, value }));
}

/** A series key: name and labels sorted by name (empty values kept: they are written as they are). */
export function seriesKey(name: string, labels: readonly Label[]): string {
  const sorted = [...labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify([name, sorted.map((l) => [l.name, l.value])]);
}

// A key under which two label sets are the same Prometheus series after any target labels are set.
const SENTINEL = '\u0001sentinel-that-no-generated-value-can-equal\u0001';
function identityKey(labels: readonly Label[]): string {
  const injected = prometheusTargetLabels(labels, [
    { name: ORIGIN_LABEL, value: SENTINEL },
    { name: STATIC_LABEL, value: SENTINEL },
  ]).filter((l) => l.value !== '');
  return seriesKey('', injected);
}

// ---------------------------------------------------------------------------------------------
// Names

const hasReservedSuffix = (name: string) => RESERVED_SUFFIXES.some((s) => name.endsWith(s));

export const metricNameArb: fc.Arbitrary<string> = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'up',
        'http_requests',
        'rpc_duration_seconds',
        'queue:depth',
        'payload_bytes',
        'temp_celsius',
        'a',
        'b',
        'x_ratio',
      ),
    },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,7}$/) },
  )
  .filter((n) => !hasReservedSuffix(n) && !n.startsWith('__'));

const labelNameArb: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom('method', 'code', 'path', 'job', 'x', '_y', 'A1') },
    { weight: 3, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,5}$/) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ORIGIN_LABEL,
        `exported_${ORIGIN_LABEL}`,
        STATIC_LABEL,
        `exported_${STATIC_LABEL}`,
      ),
    },
  )
  .filter((n) => !n.startsWith('__') && n !== 'le' && n !== 'quantile');

// ---------------------------------------------------------------------------------------------
// Label values: any Unicode (no lone surrogates: bodies are UTF-8), heavy on what needs escaping.

const SPECIAL_CHARS = [
  '"',
  '\\',
  '\n',
  '{',
  '}',
  ',',
  '#',
  ' # ',
  '=',
  ' ',
  '\t',
  '\r',
  'n',
  '\u0000',
  '\u007f',
  '\u0085',
  '\u2028',
  '\ufeff',
  'é',
  '\u{1F600}',
];

const valueUnitArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);

export const labelValueArb: fc.Arbitrary<string> = fc.string({ unit: valueUnitArb, maxLength: 6 });

/**
 * A label value as written between quotes: \\, \" and \n escaped. `lenient` (classic text only)
 * leaves a backslash bare where the next character makes no escape, as Prometheus reads `\q` as
 * the two characters `\q` (Windows paths written by exporters that do not escape).
 */
export function escapeLabelValueForTest(value: string, lenient = false): string {
  const chars = [...value];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      const next = chars[i + 1];
      const bareOk =
        lenient && next !== undefined && next !== '\\' && next !== '"' && next !== 'n' && next !== '\n';
      out += bareOk ? '\\' : '\\\\';
    } else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else out += c;
  }
  return out;
}

interface WrittenLabel extends Label {
  /** The value as written between the quotes. */
  readonly written: string;
}

const labelArb = (format: Format): fc.Arbitrary<WrittenLabel> =>
  fc
    .record({ name: labelNameArb, value: labelValueArb, lenient: fc.boolean() })
    .map(({ name, value, lenient }) => ({
      name,
      value,
      written: escapeLabelValueForTest(value, lenient && format === 'text'),
    }));

// ---------------------------------------------------------------------------------------------
// Numbers: each with the text written and the float64 Prometheus reads from it.

interface Num {
  readonly text: string;
  readonly value: number;
}

const num = (text: string, value: number): Num => ({ text, value });

/** A double as JavaScript writes it (shortest round trip), keeping the sign of -0. */
const fromDouble = (v: number): Num => num(Object.is(v, -0) ? '-0' : String(v), v);

const integerStyles = (n: number): Num[] => [num(String(n), n), num(`${n}.0`, n), num(`${n}e0`, n)];

const integerArb = (min: number, max: number): fc.Arbitrary<Num> =>
  fc.tuple(fc.integer({ min, max }), fc.nat(2)).map(([n, style]) => integerStyles(n)[style]);

const SPECIAL_VALUES: readonly Num[] = [
  num('NaN', Number.NaN),
  num('nan', Number.NaN),
  num('+Inf', Number.POSITIVE_INFINITY),
  num('Inf', Number.POSITIVE_INFINITY),
  num('+inf', Number.POSITIVE_INFINITY),
  num('Infinity', Number.POSITIVE_INFINITY),
  num('-Inf', Number.NEGATIVE_INFINITY),
  num('-inf', Number.NEGATIVE_INFINITY),
  num('-0', -0),
];

/** Any float: gauges, untyped, classic-text values of every type. */
export const anyValueArb: fc.Arbitrary<Num> = fc.oneof(
  { weight: 4, arbitrary: integerArb(-1000, 100000) },
  {
    weight: 3,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(fromDouble),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.nat(999), fc.boolean())
      .map(([n, lead]) => (lead ? num(`.${n}`, Number(`.${n}`)) : num(`${n}.`, n))),
  },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_VALUES) },
);

/** Counter-like: not negative, not NaN. */
const nonNegativeArb: fc.Arbitrary<Num> = fc.oneof(
  { weight: 4, arbitrary: integerArb(0, 100000) },
  {
    weight: 2,
    arbitrary: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map(fromDouble),
  },
  { weight: 1, arbitrary: fc.constantFrom(num('+Inf', Number.POSITIVE_INFINITY), num('0.5', 0.5)) },
);

/** A quantile's value: not negative, or NaN (an empty summary). */
const quantileValueArb: fc.Arbitrary<Num> = fc.oneof(
  { weight: 4, arbitrary: nonNegativeArb },
  { weight: 1, arbitrary: fc.constant(num('NaN', Number.NaN)) },
);

const createdArb: fc.Arbitrary<Num> = fc.oneof(
  fc.double({ min: 0, max: 2e9, noNaN: true }).map(fromDouble),
  fc.integer({ min: 1_600_000_000, max: 1_800_000_000 }).map((n) => num(`${n}.123`, Number(`${n}.123`))),
);

// ---------------------------------------------------------------------------------------------
// Timestamps

interface Timestamp {
  readonly text: string;
  readonly ms: string;
}

/** Classic text: integer milliseconds, digits only (Prometheus's lexer takes no sign). */
const textTimestampArb: fc.Arbitrary<Timestamp> = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }).map(BigInt) },
      // Up to 2^50 ms (year 37648): beyond ~4.5e15 ms a float64 of seconds cannot hold every
      // millisecond, so OpenMetrics cannot carry such timestamps exactly (see the cross-check tests).
      { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 50n }) },
    ),
    fc.constantFrom('', '', '', '00'),
  )
  .map(([ms, zeros]) => ({ text: zeros + ms.toString(), ms: ms.toString() }));

/** OpenMetrics: seconds as a realnumber; Prometheus stores int64(seconds * 1000). */
const omTimestampArb = (options: ArbitraryOptions): fc.Arbitrary<Timestamp> =>
  fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }) },
      ),
      fc.constantFrom('decimal', 'integer', 'exponent', 'nanos', 'exponent-integer'),
    )
    .map(([ms, style]) => {
      const seconds = ms / 1000;
      let text: string;
      if (style === 'integer') text = String(Math.trunc(seconds));
      else if (style === 'nanos') text = seconds.toFixed(9);
      else if (style === 'exponent' || (style === 'exponent-integer' && options.pythonCompatible)) {
        text = seconds.toExponential();
        if (!text.includes('.')) text = text.replace('e', '.0e');
      } else if (style === 'exponent-integer') text = `${Math.trunc(seconds)}e0`;
      else text = String(seconds);
      return { text, ms: String(Math.trunc(Number(text) * 1000) || 0) };
    });

// ---------------------------------------------------------------------------------------------
// Lines

/**
 * Whitespace variations classic text allows: Prometheus skips blanks between tokens, inside label
 * braces and before the end of the line, and takes a trailing comma. Not before the metric name:
 * Prometheus 2.42 makes leading blanks part of the name and fails the scrape.
 */
interface Layout {
  readonly beforeBrace: string;
  readonly inner: string;
  readonly trailingComma: boolean;
  readonly emptyBraces: boolean;
  readonly gap: string;
  readonly tsGap: string;
  readonly trailing: string;
}

const CANONICAL: Layout = {
  beforeBrace: '',
  inner: '',
  trailingComma: false,
  emptyBraces: false,
  gap: ' ',
  tsGap: ' ',
  trailing: '',
};

const layoutArb = (format: Format): fc.Arbitrary<Layout> =>
  format === 'openmetrics'
    ? fc.boolean().map((emptyBraces) => ({ ...CANONICAL, emptyBraces }))
    : fc.oneof(
        { weight: 3, arbitrary: fc.constant(CANONICAL) },
        {
          weight: 2,
          arbitrary: fc.record({
            beforeBrace: fc.constantFrom('', ' '),
            inner: fc.constantFrom('', ' ', '\t '),
            trailingComma: fc.boolean(),
            emptyBraces: fc.boolean(),
            gap: fc.constantFrom(' ', '  ', '\t'),
            tsGap: fc.constantFrom(' ', '\t\t'),
            trailing: fc.constantFrom('', ' ', '\t'),
          }),
        },
      );

interface SampleSpec {
  readonly name: string;
  readonly labels: readonly WrittenLabel[];
  readonly value: Num;
  readonly timestamp: Timestamp | undefined;
  readonly exemplar?: string;
  readonly layout: Layout;
}

function sampleLine(format: Format, s: SampleSpec): string {
  const l = s.layout;
  if (format === 'openmetrics') {
    const labels =
      s.labels.length > 0 || l.emptyBraces
        ? `{${s.labels.map((x) => `${x.name}="${x.written}"`).join(',')}}`
        : '';
    return `${s.name}${labels} ${s.value.text}${s.timestamp ? ` ${s.timestamp.text}` : ''}${s.exemplar ? ` ${s.exemplar}` : ''}`;
  }
  let labels = '';
  if (s.labels.length > 0 || l.emptyBraces) {
    const pairs = s.labels.map((x) => `${x.name}${l.inner}=${l.inner}"${x.written}"`);
    const comma = l.trailingComma && s.labels.length > 0 ? `${l.inner},` : '';
    labels = `${l.beforeBrace}{${l.inner}${pairs.join(`${l.inner},${l.inner}`)}${comma}${l.inner}}`;
  }
  const ts = s.timestamp ? `${l.tsGap}${s.timestamp.text}` : '';
  return `${s.name}${labels}${l.gap}${s.value.text}${ts}${l.trailing}`;
}

function modelOf(s: SampleSpec): ModelSample {
  return {
    name: s.name,
    labels: s.labels.map(({ name, value }) => ({ name, value })),
    value: s.value.value,
    timestampMs: s.timestamp?.ms,
    exemplar: s.exemplar,
  };
}

// ---------------------------------------------------------------------------------------------
// Metrics: one label set of a family, with its timestamp and layout shared by its samples.

interface Metric<T> {
  readonly labels: readonly WrittenLabel[];
  readonly timestamp: Timestamp | undefined;
  readonly layout: Layout;
  /** Where a per-sample label (le, quantile, the stateset label) goes among the others. */
  readonly position: number;
  readonly extra: T;
}

function metricsArb<T>(
  format: Format,
  options: ArbitraryOptions,
  forbidden: readonly string[],
  extra: fc.Arbitrary<T>,
  maxMetrics = 3,
): fc.Arbitrary<Metric<T>[]> {
  const labelsArb = fc
    .uniqueArray(labelArb(format), { selector: (l) => l.name, maxLength: 3 })
    .map((ls) => ls.filter((l) => !forbidden.includes(l.name)));
  const metrics: fc.Arbitrary<Metric<T>[]> = fc.uniqueArray(
    fc.record({
      labels: labelsArb,
      timestamp: fc.oneof(
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: format === 'text' ? textTimestampArb : omTimestampArb(options) },
      ),
      layout: layoutArb(format),
      position: fc.nat(3),
      extra,
    }),
    { selector: (m) => identityKey(m.labels), minLength: 1, maxLength: maxMetrics },
  );
  // A family without samples (only metadata) now and then, as exporters write for unused metrics.
  const none: fc.Arbitrary<Metric<T>[]> = fc.constant([]).map(() => []);
  return fc.oneof({ weight: 1, arbitrary: none }, { weight: 6, arbitrary: metrics });
}

function withLabel(m: Metric<unknown>, label: WrittenLabel): WrittenLabel[] {
  const at = m.position % (m.labels.length + 1);
  return [...m.labels.slice(0, at), label, ...m.labels.slice(at)];
}

const plainLabel = (name: string, value: string): WrittenLabel => ({ name, value, written: value });

// ---------------------------------------------------------------------------------------------
// Families

interface BuiltFamily {
  readonly lines: string[];
  readonly family: ModelFamily;
  readonly samples: ModelSample[];
}

const helpCharArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('\\', '\n', '"', ' ', '\t', 'n', '#', '\u{1F600}', 'é') },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

interface Help {
  readonly written: string;
  readonly decoded: string;
}

/** HELP text: classic escapes \\ and \n (a bare backslash elsewhere stays), OpenMetrics also \". */
const helpArb = (format: Format): fc.Arbitrary<Help | undefined> =>
  fc.option(
    fc.tuple(fc.string({ unit: helpCharArb, maxLength: 10 }), fc.boolean()).map(([help, lenient]) => {
      const chars = [...help];
      let written = '';
      for (let i = 0; i < chars.length; i++) {
        const c = chars[i];
        const next = chars[i + 1];
        if (c === '\\') {
          const bare =
            format === 'text' &&
            lenient &&
            next !== undefined &&
            next !== '\\' &&
            next !== 'n' &&
            next !== '\n';
          written += bare ? '\\' : '\\\\';
        } else if (c === '\n') written += '\\n';
        else if (c === '"' && format === 'openmetrics') written += '\\"';
        else written += c;
      }
      // Classic parsers skip the blanks between the name and the text.
      return { written, decoded: format === 'text' ? help.replace(/^[ \t]+/, '') : help };
    }),
    { nil: undefined, freq: 4 },
  );

const UNITS = ['seconds', 'bytes', 'celsius', 'ratio'];

interface Metadata {
  readonly help: Help | undefined;
  /** Whether TYPE is written before HELP (both formats allow either order). */
  readonly typeFirst: boolean;
  readonly withUnit: boolean;
  /**
   * Classic text only, where each sample may have its own timestamp: 0 keeps one timestamp per
   * metric, 1 gives every other sample none, 2 makes them go backwards sample by sample (what
   * OpenMetrics forbids within a metric, so the conversion must cope).
   */
  readonly varyTimestamps: number;
}

const metadataArb = (format: Format): fc.Arbitrary<Metadata> =>
  fc.record({
    help: helpArb(format),
    typeFirst: fc.boolean(),
    withUnit: fc.boolean(),
    varyTimestamps: format === 'text' ? fc.constantFrom(0, 0, 0, 0, 1, 2) : fc.constant(0),
  });

interface Header {
  readonly lines: string[];
  readonly family: ModelFamily;
  readonly varyTimestamps: number;
}

function familyHeader(
  format: Format,
  name: string,
  type: string | undefined,
  meta: Metadata,
  allowUnit: boolean,
): Header {
  const lines: string[] = [];
  const helpLine = meta.help ? [`# HELP ${name} ${meta.help.written}`] : [];
  const typeLine = type ? [`# TYPE ${name} ${type}`] : [];
  const unit =
    format === 'openmetrics' && allowUnit && meta.withUnit
      ? UNITS.find((u) => name.endsWith(`_${u}`))
      : undefined;
  lines.push(...(meta.typeFirst ? [...typeLine, ...helpLine] : [...helpLine, ...typeLine]));
  if (unit) lines.push(`# UNIT ${name} ${unit}`);
  return {
    lines,
    family: { name, type, help: meta.help?.decoded, unit },
    varyTimestamps: meta.varyTimestamps,
  };
}

function varyTimestamp(spec: SampleSpec, i: number, vary: number): SampleSpec {
  if (vary === 1) return { ...spec, timestamp: i % 2 === 0 ? undefined : (spec.timestamp ?? LATER) };
  const base = BigInt((spec.timestamp ?? LATER).ms) + 100n;
  const ms = (base > BigInt(i) ? base - BigInt(i) : 0n).toString();
  return { ...spec, timestamp: { text: ms, ms } };
}

const LATER: Timestamp = { text: '1700000000000', ms: '1700000000000' };

function assemble(format: Format, header: Header, written: readonly SampleSpec[]): BuiltFamily {
  const specs = header.varyTimestamps
    ? written.map((spec, i) => varyTimestamp(spec, i, header.varyTimestamps))
    : written;
  return {
    lines: [...header.lines, ...specs.map((s) => sampleLine(format, s))],
    family: header.family,
    samples: specs.map(modelOf),
  };
}

const exemplarArb = (options: ArbitraryOptions): fc.Arbitrary<string> => {
  const char = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 1 })
    .filter((c) => !(options.pythonCompatible && c === '}'));
  const exemplarLabel = fc.record({
    name: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,7}$/).filter((n) => !n.startsWith('__')),
    value: fc.oneof(fc.stringMatching(/^[0-9a-f]{1,16}$/), fc.string({ unit: char, maxLength: 8 })),
  });
  return fc
    .tuple(
      fc.uniqueArray(exemplarLabel, { selector: (l) => l.name, maxLength: 2 }),
      anyValueArb,
      fc.option(omTimestampArb(options), { nil: undefined }),
    )
    .map(([labels, value, ts]) => {
      const block = labels.map((l) => `${l.name}="${escapeLabelValueForTest(l.value)}"`).join(',');
      return `# {${block}} ${value.text}${ts ? ` ${ts.text}` : ''}`;
    });
};

const optionalExemplar = (options: ArbitraryOptions) =>
  fc.option(exemplarArb(options), { nil: undefined, freq: 3 });

/** Sorted distinct bucket bounds (some negative), each with its written form. */
const bucketBoundsArb = fc
  .uniqueArray(
    fc.oneof(
      fc.constantFrom(0.005, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 10, 100),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: -5, max: 50 }),
    ),
    { maxLength: 4, comparator: (a, b) => a === b },
  )
  .map((bounds) => [...bounds].sort((a, b) => a - b));

interface HistogramParts {
  readonly bounds: number[];
  readonly increments: number[];
  readonly withSum: boolean;
  readonly sum: Num;
  readonly countStyle: number;
  readonly infStyle: number;
}

const histogramPartsArb = (format: Format, signedSum: boolean): fc.Arbitrary<HistogramParts> =>
  fc.record({
    bounds: bucketBoundsArb,
    increments: fc.array(fc.nat(20), { minLength: 5, maxLength: 5 }),
    withSum: fc.boolean(),
    sum: format === 'text' || signedSum ? anyValueArb.filter((n) => !Number.isNaN(n.value)) : nonNegativeArb,
    countStyle: fc.nat(2),
    infStyle: fc.nat(format === 'text' ? 3 : 0),
  });

function bucketSpecs(
  format: Format,
  name: string,
  m: Metric<HistogramParts & { exemplars: (string | undefined)[] }>,
): { specs: SampleSpec[]; total: number; negative: boolean } {
  const { bounds, increments, infStyle } = m.extra;
  const specs: SampleSpec[] = [];
  let cumulative = 0;
  const les = [...bounds.map((b) => String(b)), ['+Inf', '+Inf', 'Inf', '+inf'][infStyle]];
  les.forEach((le, i) => {
    cumulative += increments[i] ?? 0;
    specs.push({
      name: `${name}_bucket`,
      labels: withLabel(m, plainLabel('le', le)),
      value: integerStyles(cumulative)[i % 2],
      timestamp: m.timestamp,
      exemplar: format === 'openmetrics' ? m.extra.exemplars[i] : undefined,
      layout: m.layout,
    });
  });
  return { specs, total: cumulative, negative: bounds.some((b) => b < 0) };
}

type Builder = (format: Format, name: string, options: ArbitraryOptions) => fc.Arbitrary<BuiltFamily>;

const counterFamily: Builder = (format, name, options) =>
  fc
    .record({
      meta: metadataArb(format),
      totalSuffix: fc.boolean(),
      metrics: metricsArb(
        format,
        options,
        [],
        fc.record({
          value: format === 'text' ? anyValueArb : nonNegativeArb,
          created: fc.option(createdArb, { nil: undefined }),
          createdFirst: fc.boolean(),
          exemplar: optionalExemplar(options),
        }),
      ),
    })
    .map(({ meta, totalSuffix, metrics }) => {
      if (format === 'text') {
        // Classic counters are named with or without _total; the sample is the family name.
        const family = totalSuffix ? `${name}_total` : name;
        return assemble(
          format,
          familyHeader(format, family, 'counter', meta, false),
          metrics.map((m) => ({
            name: family,
            labels: m.labels,
            value: m.extra.value,
            timestamp: m.timestamp,
            layout: m.layout,
          })),
        );
      }
      const specs: SampleSpec[] = [];
      for (const m of metrics) {
        const total: SampleSpec = {
          name: `${name}_total`,
          labels: m.labels,
          value: m.extra.value,
          timestamp: m.timestamp,
          exemplar: m.extra.exemplar,
          layout: m.layout,
        };
        const created = m.extra.created && {
          name: `${name}_created`,
          labels: m.labels,
          value: m.extra.created,
          timestamp: m.timestamp,
          layout: m.layout,
        };
        if (created && m.extra.createdFirst) specs.push(created, total);
        else specs.push(total, ...(created ? [created] : []));
      }
      return assemble(format, familyHeader(format, name, 'counter', meta, true), specs);
    });

const simpleFamily =
  (type: string | undefined, valueArb: fc.Arbitrary<Num>): Builder =>
  (format, name, options) =>
    fc
      .record({ meta: metadataArb(format), metrics: metricsArb(format, options, [], valueArb) })
      .map(({ meta, metrics }) =>
        assemble(
          format,
          familyHeader(format, name, type, meta, true),
          metrics.map((m) => ({
            name,
            labels: m.labels,
            value: m.extra,
            timestamp: m.timestamp,
            layout: m.layout,
          })),
        ),
      );

const histogramFamily =
  (gauge: boolean): Builder =>
  (format, name, options) =>
    fc
      .record({
        meta: metadataArb(format),
        metrics: metricsArb(
          format,
          options,
          ['le'],
          fc
            .tuple(
              histogramPartsArb(format, gauge),
              fc.array(optionalExemplar(options), { minLength: 5, maxLength: 5 }),
              fc.option(createdArb, { nil: undefined }),
            )
            .map(([parts, exemplars, created]) => ({ ...parts, exemplars, created })),
          2,
        ),
      })
      .map(({ meta, metrics }) => {
        const specs: SampleSpec[] = [];
        for (const m of metrics) {
          const buckets = bucketSpecs(format, name, m);
          specs.push(...buckets.specs);
          const countName = gauge ? `${name}_gcount` : `${name}_count`;
          const sumName = gauge ? `${name}_gsum` : `${name}_sum`;
          // Both formats: _sum and _count together or neither; OpenMetrics forbids _sum with negative buckets.
          const withSumAndCount =
            m.extra.withSum && !(format === 'openmetrics' && !gauge && buckets.negative);
          if (withSumAndCount) {
            let sum = m.extra.sum;
            if (format === 'openmetrics' && gauge && !buckets.negative && sum.value < 0) {
              sum = num(String(-sum.value), -sum.value);
            }
            const rest = { labels: m.labels, timestamp: m.timestamp, layout: m.layout };
            specs.push({ name: sumName, value: sum, ...rest });
            specs.push({ name: countName, value: integerStyles(buckets.total)[m.extra.countStyle], ...rest });
          }
          if (format === 'openmetrics' && !gauge && m.extra.created) {
            specs.push({
              name: `${name}_created`,
              labels: m.labels,
              value: m.extra.created,
              timestamp: m.timestamp,
              layout: m.layout,
            });
          }
        }
        return assemble(
          format,
          familyHeader(format, name, gauge ? 'gaugehistogram' : 'histogram', meta, true),
          specs,
        );
      });

const QUANTILES = ['0', '0.01', '0.25', '0.5', '0.9', '0.99', '0.999', '1'];

const summaryFamily: Builder = (format, name, options) =>
  fc
    .record({
      meta: metadataArb(format),
      metrics: metricsArb(
        format,
        options,
        ['quantile'],
        fc.record({
          quantiles: fc.uniqueArray(
            fc.oneof(fc.constantFrom(...QUANTILES), fc.double({ min: 0, max: 1, noNaN: true }).map(String)),
            { maxLength: 3, selector: Number },
          ),
          values: fc.array(format === 'text' ? anyValueArb : quantileValueArb, {
            minLength: 3,
            maxLength: 3,
          }),
          sum: fc.option(format === 'text' ? anyValueArb : nonNegativeArb, { nil: undefined }),
          count: fc.option(integerArb(0, 100000), { nil: undefined }),
          created: fc.option(createdArb, { nil: undefined }),
        }),
        2,
      ),
    })
    .map(({ meta, metrics }) => {
      const specs: SampleSpec[] = [];
      for (const m of metrics) {
        const rest = { labels: m.labels, timestamp: m.timestamp, layout: m.layout };
        [...m.extra.quantiles]
          .sort((a, b) => Number(a) - Number(b))
          .forEach((q, i) => {
            specs.push({
              name,
              labels: withLabel(m, plainLabel('quantile', q)),
              value: m.extra.values[i],
              timestamp: m.timestamp,
              layout: m.layout,
            });
          });
        if (m.extra.sum) specs.push({ name: `${name}_sum`, value: m.extra.sum, ...rest });
        if (m.extra.count) specs.push({ name: `${name}_count`, value: m.extra.count, ...rest });
        if (format === 'openmetrics' && m.extra.created) {
          specs.push({ name: `${name}_created`, value: m.extra.created, ...rest });
        }
      }
      return assemble(format, familyHeader(format, name, 'summary', meta, true), specs);
    });

const infoFamily: Builder = (format, name, options) =>
  fc
    .record({
      meta: metadataArb(format),
      metrics: metricsArb(format, options, [], fc.constantFrom(num('1', 1), num('1.0', 1), num('1e0', 1))),
    })
    .map(({ meta, metrics }) => {
      // All samples of an info family are one group: timestamps on all of them or on none.
      const timestamps = metrics.every((m) => m.timestamp !== undefined);
      return assemble(
        format,
        familyHeader(format, name, 'info', meta, false),
        metrics.map((m) => ({
          name: `${name}_info`,
          labels: m.labels,
          value: m.extra,
          timestamp: timestamps ? m.timestamp : undefined,
          layout: m.layout,
        })),
      );
    });

const statesetFamily: Builder = (format, name, options) =>
  fc
    .record({
      meta: metadataArb(format),
      metrics: metricsArb(
        format,
        options,
        [name],
        fc.uniqueArray(
          fc.tuple(
            fc.oneof(fc.constantFrom('starting', 'running', 'stopped'), labelValueArb),
            fc.constantFrom(num('0', 0), num('1', 1), num('1.0', 1), num('0e0', 0)),
          ),
          { minLength: 1, maxLength: 3, selector: ([state]) => state },
        ),
        2,
      ),
    })
    .map(({ meta, metrics }) => {
      const specs: SampleSpec[] = [];
      for (const m of metrics) {
        for (const [state, value] of m.extra) {
          specs.push({
            name,
            labels: withLabel(m, { name, value: state, written: escapeLabelValueForTest(state) }),
            value,
            timestamp: m.timestamp,
            layout: m.layout,
          });
        }
      }
      return assemble(format, familyHeader(format, name, 'stateset', meta, false), specs);
    });

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function buildersFor(format: Format, name: string): Builder[] {
  if (format === 'text') {
    return [
      counterFamily,
      simpleFamily('gauge', anyValueArb),
      histogramFamily(false),
      summaryFamily,
      simpleFamily('untyped', anyValueArb),
      simpleFamily(undefined, anyValueArb),
    ];
  }
  return [
    counterFamily,
    simpleFamily('gauge', anyValueArb),
    histogramFamily(false),
    histogramFamily(true),
    summaryFamily,
    simpleFamily('unknown', anyValueArb),
    simpleFamily(undefined, anyValueArb),
    infoFamily,
    ...(LABEL_NAME.test(name) && !name.startsWith('__') && !RESERVED_LABELS.includes(name)
      ? [statesetFamily]
      : []),
  ];
}

const familyArb = (format: Format, name: string, options: ArbitraryOptions): fc.Arbitrary<BuiltFamily> => {
  const builders = buildersFor(format, name);
  return fc.nat(builders.length - 1).chain((i) => builders[i](format, name, options));
};

/** Lines classic text allows between families: blank lines and comments. */
const fillerArb = fc.constantFrom('', '', '', '\n', '# a comment\n', '   \n', '#\n', '# HELPful remark\n');

export const expositionArb = (
  format: Format,
  names: readonly string[],
  options: ArbitraryOptions = {},
): fc.Arbitrary<GeneratedExposition> =>
  fc
    .tuple(
      fc.tuple(...names.map((name) => familyArb(format, name, options))),
      fc.array(fillerArb, { minLength: names.length + 1, maxLength: names.length + 1 }),
    )
    .map(([families, fillers]) => {
      let text = '';
      families.forEach((f, i) => {
        if (format === 'text') text += fillers[i];
        for (const line of f.lines) text += `${line}\n`;
      });
      text += format === 'openmetrics' ? '# EOF\n' : fillers[names.length];
      return {
        format,
        body: Buffer.from(text, 'utf8'),
        families: families.filter((f) => f.lines.length > 0).map((f) => f.family),
        samples: families.flatMap((f) => f.samples),
      };
    });

/** Non-empty, distinct origin names: any Unicode, as the origin is a label value. */
const originArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('app', 'sidecar', 'envoy', 'db-0') },
  { weight: 1, arbitrary: labelValueArb.filter((s) => s.length > 0) },
);

/**
 * One to `maxSources` upstreams of random formats drawing family names from one small pool, so
 * that the same family name often comes from several upstreams (with the same or other types).
 */
export const mergeArb = (
  options: ArbitraryOptions & { maxSources?: number; formats?: readonly Format[] } = {},
): fc.Arbitrary<GeneratedMerge> => {
  const formats = options.formats ?? (['text', 'openmetrics'] as const);
  return fc
    .record({
      pool: fc.uniqueArray(metricNameArb, { minLength: 1, maxLength: 4 }),
      origins: fc.uniqueArray(originArb, { minLength: 1, maxLength: options.maxSources ?? 3 }),
      staticLabels: fc.option(
        labelValueArb.map((value) => [{ name: STATIC_LABEL, value }]),
        { nil: [] as Label[], freq: 3 },
      ),
    })
    .chain(({ pool, origins, staticLabels }) =>
      fc
        .tuple(
          ...origins.map((origin) =>
            fc
              .tuple(
                fc.constantFrom(...formats),
                fc.oneof(
                  { weight: 1, arbitrary: fc.constant([]) },
                  { weight: 8, arbitrary: fc.shuffledSubarray(pool, { minLength: 1 }) },
                ),
              )
              .chain(([format, names]) => expositionArb(format, names, options))
              .map((exposition) => ({ origin, exposition })),
          ),
        )
        .map((sources) => ({ sources, staticLabels })),
    );
};

// ---------------------------------------------------------------------------------------------
// Expectations and comparisons shared by the property and cross-check tests.

/** The samples Prometheus must store from the merged output: each upstream's, relabelled. */
export function expectedMergedSamples(
  sources: readonly { origin: string; format: Format; samples: readonly ModelSample[] }[],
  staticLabels: readonly Label[],
  outputFormat: Format,
  originLabel = ORIGIN_LABEL,
): ModelSample[] {
  return sources.flatMap(({ origin, format, samples }) =>
    samples
      .filter((s) => !isDroppedIn(outputFormat, s))
      .map((s) => ({
        name: s.name,
        labels: prometheusTargetLabels(s.labels, [{ name: originLabel, value: origin }, ...staticLabels]),
        value: s.value,
        timestampMs: s.timestampMs,
        // Exemplars exist only in OpenMetrics: kept from an OpenMetrics upstream into OpenMetrics output.
        exemplar: format === 'openmetrics' && outputFormat === 'openmetrics' ? s.exemplar : undefined,
      })),
  );
}

/** Classic text has no timestamps before 1970: the engine drops and counts such samples there. */
export function isDroppedIn(outputFormat: Format, sample: ModelSample): boolean {
  return outputFormat === 'text' && sample.timestampMs !== undefined && sample.timestampMs.startsWith('-');
}

const describeSample = (s: ModelSample) =>
  `${seriesKey(s.name, s.labels)} value=${Object.is(s.value, -0) ? '-0' : String(s.value)} ts=${s.timestampMs}` +
  (s.exemplar === undefined ? '' : ` exemplar=${JSON.stringify(s.exemplar)}`);

/**
 * Differences between two multisets of samples, keyed by name and sorted labels; values compared
 * with Object.is (NaN equals NaN, -0 differs from 0), timestamps and exemplars exactly.
 */
export function sampleDifferences(
  actual: readonly ModelSample[],
  expected: readonly ModelSample[],
  limit = 8,
): string[] {
  const pending = new Map<string, ModelSample[]>();
  for (const s of expected) {
    const key = describeSample(s);
    pending.set(key, [...(pending.get(key) ?? []), s]);
  }
  const unexpected: string[] = [];
  for (const s of actual) {
    const key = describeSample(s);
    const list = pending.get(key);
    if (list && list.length > 0) list.pop();
    else unexpected.push(key);
  }
  const missing = [...pending.entries()].flatMap(([key, list]) => list.map(() => key));
  return [
    ...missing.slice(0, limit).map((k) => `missing:    ${k}`),
    ...unexpected.slice(0, limit).map((k) => `unexpected: ${k}`),
  ];
}

const OPENMETRICS_SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  unknown: [''],
  stateset: [''],
  info: ['_info'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
};

// Classic text: upstreams that disagree on a family's type are written under one TYPE, so a
// family's block may hold the sample names of any classic type.
const TEXT_SUFFIXES = ['', '_bucket', '_sum', '_count'];

/**
 * Structural problems of an engine output, found by scanning its lines (not by the engine's parser):
 * every family's metadata and samples in one block, exactly one TYPE and at most one HELP and UNIT
 * per family, every sample named as its block's family allows, a sample name in one family only,
 * OpenMetrics metadata before samples and `# EOF` last.
 */
export function structureProblems(body: Buffer, format: Format): string[] {
  const problems: string[] = [];
  const text = body.toString('utf8');
  if (text.length > 0 && !text.endsWith('\n')) problems.push('does not end with a newline');
  const lines = text.split('\n').slice(0, -1);
  if (format === 'openmetrics') {
    if (lines.at(-1) !== '# EOF') problems.push('last line is not "# EOF"');
    lines.pop();
  }
  interface Block {
    types: string[];
    helps: number;
    units: number;
    samples: number;
  }
  const blocks = new Map<string, Block>();
  const ownerOf = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines) {
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/s.exec(line);
      if (!meta) {
        problems.push(`unexpected comment line ${JSON.stringify(line)}`);
        continue;
      }
      const [, keyword, name, rest] = meta;
      if (name !== current) {
        if (blocks.has(name)) problems.push(`metadata of "${name}" after its family was left`);
        current = name;
        blocks.set(name, { types: [], helps: 0, units: 0, samples: 0 });
      }
      const block = blocks.get(name) as Block;
      if (format === 'openmetrics' && block.samples > 0)
        problems.push(`${keyword} of "${name}" after its samples`);
      if (keyword === 'TYPE') {
        block.types.push(rest ?? '');
        if (format === 'text' && !/^(counter|gauge|histogram|summary|untyped)$/.test(rest ?? '')) {
          problems.push(`Prometheus rejects the classic type in ${JSON.stringify(line)}`);
        }
      } else if (keyword === 'HELP') block.helps++;
      else block.units++;
      continue;
    }
    const problem =
      format === 'text' ? prometheusTextSampleProblem(line) : prometheusOpenMetricsSampleProblem(line);
    if (problem) problems.push(`${problem}: ${JSON.stringify(line)}`);
    const sampleName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!sampleName) {
      problems.push(`line is neither metadata nor a sample: ${JSON.stringify(line)}`);
      continue;
    }
    if (current === undefined) {
      problems.push(`sample "${sampleName}" before any family`);
      continue;
    }
    const block = blocks.get(current) as Block;
    block.samples++;
    const suffixes = format === 'openmetrics' ? (OPENMETRICS_SUFFIXES[block.types[0]] ?? []) : TEXT_SUFFIXES;
    if (!suffixes.some((suffix) => current + suffix === sampleName)) {
      problems.push(`sample "${sampleName}" inside family "${current}" (${block.types[0]})`);
    }
    const owner = ownerOf.get(sampleName);
    if (owner !== undefined && owner !== current) {
      problems.push(`sample "${sampleName}" written in families "${owner}" and "${current}"`);
    }
    ownerOf.set(sampleName, current);
  }
  for (const [name, block] of blocks) {
    if (block.types.length !== 1) problems.push(`family "${name}" has ${block.types.length} TYPE lines`);
    if (block.helps > 1) problems.push(`family "${name}" has ${block.helps} HELP lines`);
    if (block.units > 1) problems.push(`family "${name}" has ${block.units} UNIT lines`);
  }
  return problems;
}

/** Go's strconv.ParseFloat syntax without hexadecimal and underscores, which Prometheus refuses. */
const GO_FLOAT =
  /^(?:[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|[nN][aA][nN])$/;

/** Why Go's ParseFloat, as Prometheus calls it, refuses a value token; undefined when it takes it. */
function prometheusFloatProblem(token: string | undefined): string | undefined {
  if (!token || !GO_FLOAT.test(token))
    return `value ${JSON.stringify(token)} is not a float Prometheus parses`;
  if (/^[+-]?[\d.]/.test(token) && !Number.isFinite(Number(token))) return `value ${token} is out of range`;
  return undefined;
}

/** The end of a sample line's name and label block (labels as both formats write them). */
function afterLabels(line: string): number | string {
  const nameEnd = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0].length ?? 0;
  if (nameEnd === 0) return 'no metric name at the start of the line';
  let i = nameEnd;
  while (line[i] === ' ' || line[i] === '\t') i++;
  if (line[i] !== '{') return nameEnd;
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t' || line[i] === ',') i++;
    if (line[i] === '}') return i + 1;
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
    if (!name) return 'invalid label name';
    i += name.length;
    while (line[i] === ' ' || line[i] === '\t' || line[i] === '=') i++;
    if (line[i] !== '"') return 'unquoted label value';
    i++;
    while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    if (i >= line.length) return 'unterminated label value';
    i++;
  }
}

/**
 * Why Prometheus's classic-text parser (model/textparse/promlex.l, promparse.go) would fail the
 * whole scrape on this sample line, or undefined. The value is a token Go's ParseFloat takes (no
 * hexadecimal, no `_`, no signed NaN, not out of range); the timestamp is `{D}+` (no sign) within
 * int64. Checks what the engine can get wrong when copying values and timestamps.
 */
export function prometheusTextSampleProblem(line: string): string | undefined {
  const i = afterLabels(line);
  if (typeof i === 'string') return i;
  const [value, timestamp, ...rest] = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (rest.length > 0) return 'text after the timestamp';
  const problem = prometheusFloatProblem(value);
  if (problem) return problem;
  if (timestamp !== undefined) {
    if (!/^\d+$/.test(timestamp)) return `timestamp ${JSON.stringify(timestamp)} is not unsigned digits`;
    if (BigInt(timestamp) >= 2n ** 63n) return `timestamp ${timestamp} overflows int64`;
  }
  return undefined;
}

/**
 * Why Prometheus's OpenMetrics parser (model/textparse/openmetricsparse.go) would fail the scrape on
 * this sample line's value or timestamp (both go through Go's ParseFloat), or undefined.
 */
export function prometheusOpenMetricsSampleProblem(line: string): string | undefined {
  const i = afterLabels(line);
  if (typeof i === 'string') return i;
  const [value, timestamp] = line
    .slice(i + 1)
    .split(' # ', 1)[0]
    .split(' ');
  const problem = prometheusFloatProblem(value);
  if (problem) return problem;
  if (timestamp !== undefined && (prometheusFloatProblem(timestamp) || !Number.isFinite(Number(timestamp)))) {
    return `timestamp ${JSON.stringify(timestamp)} is not a finite float Prometheus parses`;
  }
  return undefined;
}
