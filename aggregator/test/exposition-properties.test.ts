// Property-based tests of the exposition engine: random expositions of both formats, written by an
// independent writer (support/exposition-arbitraries.ts) together with a model of what Prometheus
// stores from them, are parsed, merged from one or several origins into both formats and parsed
// again. Series identity, completeness and the output's structure must hold for every input.
import fc from 'fast-check';
import {
  decodeSamples,
  type MergeResult,
  mergeExpositions,
  type ParsedExposition,
  parseExposition,
} from '../src/exposition';
import {
  expectedMergedSamples,
  type Format,
  type GeneratedMerge,
  isDroppedIn,
  mergeArb,
  ORIGIN_LABEL,
  prometheusTextSampleProblem,
  RESERVED_LABELS,
  sampleDifferences,
  structureProblems,
} from './support/exposition-arbitraries';

const FORMATS: readonly Format[] = ['text', 'openmetrics'];

/** Runs per property; each run merges into both output formats. Tuned for < 20 s for the file. */
const RUNS = Number(process.env.EXPOSITION_PROPERTY_RUNS ?? 200);

const parseAll = (g: GeneratedMerge): ParsedExposition[] =>
  g.sources.map(({ exposition }) =>
    parseExposition(exposition.body, exposition.format, { reservedLabels: RESERVED_LABELS }),
  );

function merge(g: GeneratedMerge, parsed: readonly ParsedExposition[], format: Format): MergeResult {
  return mergeExpositions(
    g.sources.map(({ origin }, i) => ({ origin, exposition: parsed[i], labels: g.staticLabels })),
    { format },
  );
}

/** Reparses an output, failing with the body when it is not valid in its declared format. */
function reparse(result: MergeResult): ParsedExposition {
  try {
    return parseExposition(result.body, result.format);
  } catch (error) {
    throw new Error(
      `merged ${result.format} output does not parse: ${(error as Error).message}\n${result.body.toString()}`,
    );
  }
}

const describeInput = (g: GeneratedMerge) =>
  g.sources
    .map(
      ({ origin, exposition }) => `--- ${JSON.stringify(origin)} (${exposition.format})\n${exposition.body}`,
    )
    .join('\n');

const expectNone = (problems: readonly string[], what: string, g: GeneratedMerge, output?: Buffer) => {
  if (problems.length > 0) {
    throw new Error(
      `${what}:\n  ${problems.join('\n  ')}\n=== input\n${describeInput(g)}${output ? `\n=== output\n${output}` : ''}`,
    );
  }
};

describe('exposition engine properties', () => {
  test('the generator writes what it models: parsing each random upstream yields the modelled samples and metadata', () => {
    fc.assert(
      fc.property(mergeArb(), (g) => {
        const parsed = parseAll(g);
        g.sources.forEach(({ exposition }, i) => {
          if (exposition.format === 'text') {
            const lines = exposition.body.toString('utf8').split('\n');
            const samples = lines.filter((line) => !/^[ \t]*(#|$)/.test(line));
            expectNone(
              samples.flatMap((line) => {
                const problem = prometheusTextSampleProblem(line);
                return problem ? [`${problem}: ${JSON.stringify(line)}`] : [];
              }),
              'the generator wrote a classic-text sample Prometheus rejects',
              g,
            );
          }
          expectNone(
            sampleDifferences(decodeSamples(parsed[i]), exposition.samples),
            'decoded samples differ from the model',
            g,
          );
          for (const family of exposition.families) {
            const found = parsed[i].families.find((f) => f.name === family.name);
            const problems: string[] = [];
            if (!found) problems.push(`family "${family.name}" is missing`);
            else {
              if (found.help !== family.help)
                problems.push(
                  `HELP of "${family.name}": ${JSON.stringify(found.help)} != ${JSON.stringify(family.help)}`,
                );
              if (found.unit !== family.unit)
                problems.push(`UNIT of "${family.name}": ${found.unit} != ${family.unit}`);
              const type = family.type === 'untyped' || family.type === undefined ? 'unknown' : family.type;
              if (found.type !== type) problems.push(`TYPE of "${family.name}": ${found.type} != ${type}`);
            }
            expectNone(problems, 'parsed metadata differs from the model', g);
          }
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('parse → merge → parse keeps every series: samples of the output are the inputs\u2019 plus origin labels', () => {
    fc.assert(
      fc.property(mergeArb(), (g) => {
        const parsed = parseAll(g);
        for (const format of FORMATS) {
          const result = merge(g, parsed, format);
          const actual = decodeSamples(reparse(result));
          const expected = expectedMergedSamples(
            g.sources.map(({ origin, exposition }) => ({ origin, ...exposition })),
            g.staticLabels,
            result.format,
          );
          expectNone(
            sampleDifferences(actual, expected),
            `series changed merging into ${format} (written as ${result.format})`,
            g,
            result.body,
          );
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('every family is one contiguous block with exactly one TYPE line (at most one HELP and UNIT)', () => {
    fc.assert(
      fc.property(mergeArb(), (g) => {
        const parsed = parseAll(g);
        for (const format of FORMATS) {
          const result = merge(g, parsed, format);
          expectNone(
            structureProblems(result.body, result.format),
            `bad ${result.format} structure`,
            g,
            result.body,
          );
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('metadata survives a same-format merge: the first HELP (and UNIT) of each family name wins', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMATS).chain((format) => mergeArb({ formats: [format] })),
        (g) => {
          const format = g.sources[0].exposition.format;
          const result = merge(g, parseAll(g), format);
          fc.pre(result.format === format);
          const output = reparse(result);
          const problems: string[] = [];
          const seen = new Set<string>();
          for (const { exposition } of g.sources) {
            for (const family of exposition.families) {
              if (seen.has(family.name)) continue;
              const declared = g.sources
                .flatMap((s) => s.exposition.families)
                .filter((f) => f.name === family.name);
              seen.add(family.name);
              const help = declared.find((f) => f.help !== undefined)?.help;
              const unit =
                format === 'openmetrics' ? declared.find((f) => f.unit !== undefined)?.unit : undefined;
              const found = output.families.find((f) => f.name === family.name);
              if (!found) problems.push(`family "${family.name}" is missing`);
              else {
                if (found.help !== help)
                  problems.push(
                    `HELP of "${family.name}": ${JSON.stringify(found.help)} != ${JSON.stringify(help)}`,
                  );
                if (found.unit !== unit) problems.push(`UNIT of "${family.name}": ${found.unit} != ${unit}`);
              }
            }
          }
          expectNone(problems, 'metadata changed', g, result.body);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('merging N upstreams loses nothing: sampleCount is the sum of the inputs, nothing dropped', () => {
    fc.assert(
      fc.property(mergeArb({ maxSources: 4 }), (g) => {
        const parsed = parseAll(g);
        const inputs = g.sources.reduce((n, { exposition }) => n + exposition.samples.length, 0);
        for (const format of FORMATS) {
          const result = merge(g, parsed, format);
          const dropped = g.sources.reduce(
            (n, { exposition }) => n + exposition.samples.filter((s) => isDroppedIn(result.format, s)).length,
            0,
          );
          expect(result.droppedSamples).toBe(dropped);
          expect(result.sampleCount).toBe(inputs - result.droppedSamples);
          expect(decodeSamples(reparse(result))).toHaveLength(result.sampleCount);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('the output always parses in its declared format, with a matching content type and fallback reason', () => {
    fc.assert(
      fc.property(mergeArb({ maxSources: 4 }), (g) => {
        const parsed = parseAll(g);
        for (const format of FORMATS) {
          const result = merge(g, parsed, format);
          reparse(result);
          expect(result.contentType).toMatch(
            result.format === 'text'
              ? /^text\/plain; version=0\.0\.4/
              : /^application\/openmetrics-text; version=1\.0\.0/,
          );
          if (format === 'text') expect(result.format).toBe('text');
          expect(result.fallbackReason === undefined).toBe(result.format === format);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('a merged output merged again moves each origin label to exported_origin_container', () => {
    fc.assert(
      fc.property(mergeArb({ maxSources: 2 }), fc.constantFrom(...FORMATS), (g, format) => {
        const first = merge(g, parseAll(g), format);
        const again = mergeExpositions(
          [{ origin: 'outer', exposition: parseExposition(first.body, first.format) }],
          { format },
        );
        const before = decodeSamples(reparse(first));
        const after = decodeSamples(reparse(again));
        const expected = expectedMergedSamples(
          [{ origin: 'outer', format: first.format, samples: before }],
          [],
          again.format,
        );
        expectNone(sampleDifferences(after, expected), 'second merge changed series', g, again.body);
        expect(after.every((s) => s.labels.some((l) => l.name === `exported_${ORIGIN_LABEL}`))).toBe(true);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
