// Engine benchmark: parse + merge + write of 4 upstreams x 25,000 series, against a floor measured
// in the same run (concatenating the same bytes, all a proxy that does not parse would do). Each
// classic text case runs twice: every body parsed afresh, and in the steady state of a live pod,
// where each body is read through the upstream's last parse and only its values changed.
import { performance } from 'node:perf_hooks';
import {
  type ExpositionFormat,
  mergeExpositions,
  type ParsedExposition,
  parseExposition,
} from '../src/exposition';
import { sampleLines, upstreamBody } from './workload';

const UPSTREAMS = 4;
const SERIES = 25_000;
/** Rounds of values each upstream cycles through in the steady-state cases. */
const ROUNDS = 4;

function timeIt(fn: () => void, minMs = 1500): number {
  for (let i = 0; i < 5; i++) fn(); // Warm up the JIT.
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minMs || samples.length < 10) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export function runEngineBenchmark(): void {
  const cases: [ExpositionFormat, ExpositionFormat, boolean][] = [
    ['text', 'openmetrics', false],
    ['text', 'openmetrics', true],
    ['openmetrics', 'openmetrics', false],
    ['text', 'text', false],
    ['text', 'text', true],
    ['openmetrics', 'text', false],
  ];
  console.log(`\nEngine: ${UPSTREAMS} upstreams x ${SERIES} series, median of repeated runs`);
  console.log('input        output       parse    series   floor ns/series   merge ns/series   ratio');
  for (const [input, output, steady] of cases) {
    const rounds = Array.from({ length: ROUNDS }, (_, round) =>
      Array.from({ length: UPSTREAMS }, (_, i) => upstreamBody(`app${i}`, SERIES, input, round)),
    );
    const series = rounds[0].reduce((n, b) => n + sampleLines(b), 0);
    const floor = timeIt(() => Buffer.concat(rounds[0]));
    const previous: (ParsedExposition | undefined)[] = [];
    let round = 0;
    const merge = timeIt(() => {
      const bodies = rounds[round++ % ROUNDS];
      const sources = bodies.map((body, i) => {
        const exposition = parseExposition(body, input, { previous: steady ? previous[i] : undefined });
        previous[i] = exposition;
        return { origin: `app${i}`, exposition };
      });
      const result = mergeExpositions(sources, { format: output });
      if (result.sampleCount !== series) throw new Error(`lost samples: ${result.sampleCount} of ${series}`);
    });
    const ns = (ms: number) => ((ms * 1e6) / series).toFixed(1).padStart(8);
    console.log(
      `${input.padEnd(12)} ${output.padEnd(12)} ${(steady ? 'steady' : 'afresh').padEnd(8)} ${String(series).padStart(6)}   ${ns(floor)}          ${ns(merge)}          ${(merge / floor).toFixed(1)}x`,
    );
  }
}
