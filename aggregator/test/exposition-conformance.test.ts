import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSamples, ExpositionParseError, mergeExpositions, parseExposition } from '../src/exposition';
import { sharedPath } from './support/shared';

// The OpenMetrics project's own parser test cases (../shared/conformance/openmetrics).
const casesDir = sharedPath('conformance', 'openmetrics');
const cases = readdirSync(casesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const spec = JSON.parse(readFileSync(join(casesDir, entry.name, 'test.json'), 'utf8'));
    return {
      name: entry.name,
      body: readFileSync(join(casesDir, entry.name, spec.file)),
      valid: spec.shouldParse === true,
    };
  });
const valid = cases.filter((c) => c.valid);
const invalid = cases.filter((c) => !c.valid);

type Samples = ReturnType<typeof decodeSamples>;

// What Prometheus stores of a sample, whatever the format it came in.
const stored = (samples: Samples) =>
  samples.map((s) => ({
    ...s,
    family: undefined,
    timestamp: undefined,
    labels: s.labels.filter((l) => l.name !== 'origin_container'),
  }));

describe('OpenMetrics conformance cases', () => {
  it('finds all 211 cases', () => {
    expect(valid.length).toBe(44);
    expect(invalid.length).toBe(167);
  });

  it.each(valid.map((c) => [c.name, c] as const))('parses %s and round-trips every sample', (_, c) => {
    const parsed = parseExposition(c.body, 'openmetrics');
    const merged = mergeExpositions([{ origin: 'app', exposition: parsed }], { format: 'openmetrics' });
    expect(merged.format).toBe('openmetrics');
    const reparsed = parseExposition(merged.body, 'openmetrics');
    const after = decodeSamples(reparsed);
    for (const sample of after) expect(sample.labels[0]).toEqual({ name: 'origin_container', value: 'app' });
    expect(stored(after)).toEqual(stored(decodeSamples(parsed)));
  });

  it.each(valid.map((c) => [c.name, c] as const))(
    'converts %s to classic text without losing a series',
    (_, c) => {
      const parsed = parseExposition(c.body, 'openmetrics');
      const merged = mergeExpositions([{ origin: 'app', exposition: parsed }], { format: 'text' });
      const reparsed = parseExposition(merged.body, 'text');
      const strip = (samples: Samples) => stored(samples).map((s) => ({ ...s, exemplar: undefined }));
      const all = decodeSamples(parsed);
      // Timestamps beyond int64 milliseconds cannot be written in classic text; they are counted instead.
      const representable = all.filter((s) => s.timestamp === undefined || s.timestampMs !== undefined);
      expect(strip(decodeSamples(reparsed))).toEqual(strip(representable));
      expect(merged.droppedSamples).toBe(all.length - representable.length);
    },
  );

  it.each(invalid.map((c) => [c.name, c] as const))('rejects %s with a line number and a reason', (_, c) => {
    let error: unknown;
    try {
      parseExposition(c.body, 'openmetrics');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpositionParseError);
    const { line, reason } = error as ExpositionParseError;
    expect(line).toBeGreaterThan(0);
    expect(reason.length).toBeGreaterThan(5);
  });
});
