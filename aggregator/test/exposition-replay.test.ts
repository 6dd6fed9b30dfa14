// Reading a body through the last parse of the same upstream (ParseOptions.previous) must give what a
// full parse gives, byte for byte and error for error, whatever changed; and it must actually take
// the short way when only values changed. The merge, which then skips regrouping known families, must
// write the same answer as from fresh parses.
import fc from 'fast-check';
import {
  type ExpositionFormat,
  mergeExpositions,
  type ParsedExposition,
  parseExposition,
} from '../src/exposition';
import { parseOpenMetricsNumber, parseTextNumber } from '../src/exposition/_numbers';
import { replayText } from '../src/exposition/_text-replay';
import { LabelFlags } from '../src/exposition/sample-table';
import { expositionArb, metricNameArb, RESERVED_LABELS } from './support/exposition-arbitraries';

const RUNS = Number(process.env.EXPOSITION_PROPERTY_RUNS ?? 200);
const FORMATS: readonly ExpositionFormat[] = ['text', 'openmetrics'];

const parse = (body: Buffer, previous?: ParsedExposition) =>
  parseExposition(body, 'text', { reservedLabels: RESERVED_LABELS, previous });

/** Every value token of the body replaced by the next of `values`, bytes around them untouched. */
function withValues(parsed: ParsedExposition, values: readonly string[]): Buffer {
  const { body, samples } = parsed;
  const parts: Buffer[] = [];
  let from = 0;
  for (let row = 0; row < samples.length; row++) {
    parts.push(body.subarray(from, samples.valueStart[row]), Buffer.from(values[row % values.length]));
    from = samples.valueEnd[row];
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}

/** The body with whatever follows each value on its line (blanks, a timestamp) taken out. */
function endingWithValues(parsed: ParsedExposition): Buffer {
  const { body, samples } = parsed;
  const parts: Buffer[] = [];
  let from = 0;
  for (let row = 0; row < samples.length; row++) {
    parts.push(body.subarray(from, samples.valueEnd[row]));
    from = body.indexOf(0x0a, samples.valueEnd[row]);
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}

/** The body with the line of one sample (the `at`th, cycling) written once more at its end. */
function withSampleRepeated(parsed: ParsedExposition, body: Buffer, at: number): Buffer {
  const { samples } = parsed;
  if (samples.length === 0) return body;
  const row = at % samples.length;
  const start = body.lastIndexOf(0x0a, samples.nameStart[row]) + 1;
  const end = body.indexOf(0x0a, samples.nameStart[row]);
  return Buffer.concat([body, body.subarray(start, end < 0 ? body.length : end), Buffer.from('\n')]);
}

/** What a parse found, column by column, in a form `toEqual` compares (NaN and -0 included). */
function described(parsed: ParsedExposition) {
  const t = parsed.samples;
  const rows = [];
  for (let row = 0; row < t.length; row++) {
    const flags = t.flags[row];
    rows.push({
      role: t.role[row],
      flags,
      line: t.line[row],
      spans: [t.nameStart[row], t.end[row], t.labelsStart[row], t.labelsEnd[row]],
      value: Object.is(t.value[row], -0) ? '-0' : String(t.value[row]),
      valueSpan: [t.valueStart[row], t.valueEnd[row]],
      timestamp: t.timestampStart[row] < 0 ? [] : [t.timestampStart[row], t.timestampEnd[row]],
      le:
        flags & LabelFlags.HasLe
          ? [t.lePairStart[row], t.lePairEnd[row], t.leValueStart[row], t.leValueEnd[row]]
          : [],
      quantile:
        flags & LabelFlags.HasQuantile
          ? [
              t.quantilePairStart[row],
              t.quantilePairEnd[row],
              t.quantileValueStart[row],
              t.quantileValueEnd[row],
            ]
          : [],
    });
  }
  return { families: parsed.families.map((f) => ({ ...f })), rows };
}

function outcome<T>(run: () => T): { value: T } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: String(error) };
  }
}

function mergedBodies(parsed: ParsedExposition) {
  return FORMATS.map((format) =>
    outcome(() => {
      const merged = mergeExpositions([{ origin: 'app', exposition: parsed, labels: [] }], { format });
      return { format: merged.format, body: merged.body.toString('utf8') };
    }),
  );
}

/** Value tokens: valid ones of every shape, and some that classic text refuses. */
const validValueArb = fc.oneof(
  fc.integer({ min: 0, max: 10 ** 9 }).map(String),
  fc.integer({ min: -1000, max: -1 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('NaN', '+Inf', '-Inf', 'inf', '1e3', '1.5', '-0', '0.25', '.5', '7.'),
);
const anyValueArb = fc.oneof(
  { weight: 6, arbitrary: validValueArb },
  { weight: 1, arbitrary: fc.constantFrom('0x1F', 'abc', '1_000', '--1', '1e999', '') },
);

const textBodyArb = fc
  .uniqueArray(metricNameArb, { minLength: 1, maxLength: 4 })
  .chain((names) => expositionArb('text', names));

describe('parsing through the previous parse of the same upstream', () => {
  it('finds what a full parse finds, and merges to the same answer, whatever the new values', () => {
    fc.assert(
      fc.property(textBodyArb, fc.array(anyValueArb, { minLength: 1, maxLength: 8 }), (generated, values) => {
        const first = parse(generated.body);
        // The merge of the first body lets the checks remember how its families group.
        mergedBodies(first);
        const next = withValues(first, values);
        const full = outcome(() => parse(next));
        const replayed = outcome(() => parse(next, first));
        if ('error' in full) {
          expect(replayed).toEqual(full);
          return;
        }
        if (!('value' in replayed)) throw new Error(`replay failed: ${replayed.error}`);
        expect(described(replayed.value)).toEqual(described(full.value));
        expect(mergedBodies(replayed.value)).toEqual(mergedBodies(full.value));
      }),
      { numRuns: RUNS },
    );
  });

  it('finds what a full parse finds, and answers valid OpenMetrics, when bytes or a sample were added or removed', () => {
    const editArb = fc.record({
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      remove: fc.nat(3),
      insert: fc.constantFrom('', '1', ' ', '\n', '#', '{', '}', '"', ',', '=', 'a', '\\', '\t', '0 1'),
      // A sample written twice: classic text takes it, OpenMetrics does not.
      repeatLine: fc.boolean(),
    });
    fc.assert(
      fc.property(
        textBodyArb,
        fc.array(validValueArb, { minLength: 1, maxLength: 8 }),
        editArb,
        (generated, values, edit) => {
          const first = parse(generated.body);
          mergedBodies(first);
          const changed = withValues(first, values);
          const at = Math.floor(edit.at * changed.length);
          const next = edit.repeatLine
            ? withSampleRepeated(parse(changed), changed, at)
            : Buffer.concat([
                changed.subarray(0, at),
                Buffer.from(edit.insert),
                changed.subarray(Math.min(changed.length, at + edit.remove)),
              ]);
          const full = outcome(() => parse(next));
          const replayed = outcome(() => parse(next, first));
          if ('error' in full || 'error' in replayed) {
            expect(replayed).toEqual(full);
            return;
          }
          expect(described(replayed.value)).toEqual(described(full.value));
          const merged = mergedBodies(replayed.value);
          expect(merged).toEqual(mergedBodies(full.value));
          // Whatever the body became, an OpenMetrics answer is one OpenMetrics parsers accept.
          for (const answer of merged) {
            if (!('value' in answer) || answer.value.format !== 'openmetrics') continue;
            const body = Buffer.from(answer.value.body);
            expect(() => parseExposition(body, 'openmetrics', { reservedLabels: [] })).not.toThrow();
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('takes the short way when only values changed and every line ends with its value', () => {
    fc.assert(
      fc.property(
        textBodyArb,
        fc.array(validValueArb, { minLength: 1, maxLength: 8 }),
        (generated, values) => {
          const first = parse(endingWithValues(parse(generated.body)));
          const next = withValues(first, values);
          const replayed = replayText(next, first);
          expect(replayed).toBeDefined();
          expect(replayed?.families).toBe(first.families);
        },
      ),
      { numRuns: RUNS },
    );
  });

  const BODY = [
    '# HELP http_requests_total Requests.',
    '# TYPE http_requests_total counter',
    'http_requests_total{method="GET",code="200"} 10',
    'http_requests_total{method="PUT",code="500"} 2',
    '# TYPE latency_seconds histogram',
    'latency_seconds_bucket{le="0.1"} 1',
    'latency_seconds_bucket{le="+Inf"} 3',
    'latency_seconds_sum 0.7',
    'latency_seconds_count 3',
    '',
  ].join('\n');

  it.each([
    ['a label value changed', BODY.replace('code="500"', 'code="503"')],
    [
      'a series appeared',
      BODY.replace('latency_seconds_sum', 'latency_seconds_bucket{le="1"} 2\nlatency_seconds_sum'),
    ],
    ['a series went away', BODY.replace('http_requests_total{method="PUT",code="500"} 2\n', '')],
    ['the HELP text changed', BODY.replace('Requests.', 'Requests served.')],
    ['a sample gained a timestamp', BODY.replace('} 10\n', '} 10 1700000000000\n')],
    ['the last line lost its line feed', BODY.slice(0, -1)],
  ])('parses in full when %s', (_what, changed) => {
    const first = parse(Buffer.from(BODY));
    const next = Buffer.from(changed);
    expect(replayText(next, first)).toBeUndefined();
    expect(described(parse(next, first))).toEqual(described(parse(next)));
  });

  it('judges the new values by the OpenMetrics rules: a fractional bucket count is written as unknown', () => {
    const first = parse(Buffer.from(BODY));
    expect(mergedBodies(first)[1]).toMatchObject({
      value: { body: expect.stringContaining('# TYPE latency_seconds histogram') },
    });
    const next = parse(Buffer.from(BODY.replace('{le="0.1"} 1', '{le="0.1"} 1.5')), first);
    const merged = mergedBodies(next)[1];
    expect(merged).toMatchObject({
      value: { body: expect.stringContaining('# TYPE latency_seconds_bucket unknown') },
    });
    expect(merged).toEqual(mergedBodies(parse(next.body))[1]);
  });

  it('judges each metric of a known family anew: a _count that no longer matches its +Inf bucket', () => {
    const body = [
      '# TYPE rpc_seconds histogram',
      'rpc_seconds_bucket{svc="a",le="1"} 1',
      'rpc_seconds_bucket{svc="a",le="+Inf"} 2',
      'rpc_seconds_sum{svc="a"} 1.5',
      'rpc_seconds_count{svc="a"} 2',
      'rpc_seconds_bucket{svc="b",le="1"} 3',
      'rpc_seconds_bucket{svc="b",le="+Inf"} 4',
      'rpc_seconds_sum{svc="b"} 2',
      'rpc_seconds_count{svc="b"} 4',
      '',
    ].join('\n');
    const first = parse(Buffer.from(body));
    const histogram = '# TYPE rpc_seconds histogram';
    expect(mergedBodies(first)[1]).toMatchObject({ value: { body: expect.stringContaining(histogram) } });
    const grown = parse(Buffer.from(body.replaceAll('} 4', '} 40').replace('} 3\n', '} 30\n')), first);
    expect(mergedBodies(grown)[1]).toMatchObject({ value: { body: expect.stringContaining(histogram) } });
    expect(mergedBodies(grown)).toEqual(mergedBodies(parse(grown.body)));
    const broken = parse(
      Buffer.from(body.replace('rpc_seconds_count{svc="b"} 4', 'rpc_seconds_count{svc="b"} 5')),
      grown,
    );
    expect(mergedBodies(broken)[1]).toMatchObject({
      value: { body: expect.not.stringContaining(histogram) },
    });
    expect(mergedBodies(broken)).toEqual(mergedBodies(parse(broken.body)));
  });

  it('relies on every number classic text accepts being an OpenMetrics number as well', () => {
    fc.assert(
      fc.property(anyValueArb, fc.string({ maxLength: 6 }), (value, noise) => {
        for (const token of [value, noise, value + noise]) {
          const bytes = Buffer.from(token);
          if (parseTextNumber(bytes, 0, bytes.length) === undefined) continue;
          expect(parseOpenMetricsNumber(bytes, 0, bytes.length)).toBeDefined();
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('rejects a new value that does not read, naming its line, as a full parse does', () => {
    const first = parse(Buffer.from(BODY));
    const bad = Buffer.from(BODY.replace('} 10\n', '} ten\n'));
    expect(() => parse(bad, first)).toThrow(/line 3.*invalid value "ten"/);
  });

  it('parses in full when the reserved labels differ from last time', () => {
    const first = parseExposition(Buffer.from('x{pod="a"} 1\n'), 'text', {
      reservedLabels: ['origin_container'],
    });
    const next = parseExposition(Buffer.from('x{pod="a"} 2\n'), 'text', {
      reservedLabels: RESERVED_LABELS,
      previous: first,
    });
    expect(next.samples.flags[0] & LabelFlags.Reserved).toBe(LabelFlags.Reserved);
  });
});
