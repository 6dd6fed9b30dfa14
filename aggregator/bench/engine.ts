// Engine benchmark: parse + merge + write of 4 upstreams x 25,000 series, against a floor measured
// in the same run (concatenating the same bytes, all a proxy that does not parse would do).
import { performance } from 'node:perf_hooks';
import { type ExpositionFormat, mergeExpositions, parseExposition } from '../src/exposition';
import { sampleLines, upstreamBody } from './workload';

const UPSTREAMS = 4;
const SERIES = 25_000;

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
  const cases: [ExpositionFormat, ExpositionFormat][] = [
    ['text', 'openmetrics'],
    ['openmetrics', 'openmetrics'],
    ['text', 'text'],
    ['openmetrics', 'text'],
  ];
  console.log(`\nEngine: ${UPSTREAMS} upstreams x ${SERIES} series, median of repeated runs`);
  console.log('input        output       series   floor ns/series   merge ns/series   ratio');
  for (const [input, output] of cases) {
    const bodies = Array.from({ length: UPSTREAMS }, (_, i) => upstreamBody(`app${i}`, SERIES, input));
    const series = bodies.reduce((n, b) => n + sampleLines(b), 0);
    const floor = timeIt(() => Buffer.concat(bodies));
    const merge = timeIt(() => {
      const sources = bodies.map((body, i) => ({
        origin: `app${i}`,
        exposition: parseExposition(body, input),
      }));
      const result = mergeExpositions(sources, { format: output });
      if (result.sampleCount !== series) throw new Error(`lost samples: ${result.sampleCount} of ${series}`);
    });
    const ns = (ms: number) => ((ms * 1e6) / series).toFixed(1).padStart(8);
    console.log(
      `${input.padEnd(12)} ${output.padEnd(12)} ${String(series).padStart(6)}   ${ns(floor)}          ${ns(merge)}          ${(merge / floor).toFixed(1)}x`,
    );
  }
}
