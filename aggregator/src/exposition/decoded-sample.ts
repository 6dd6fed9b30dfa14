import { decodeLabels } from './_label-rewrite';
import { secondsToMillis } from './_numbers';
import type { ParsedExposition } from './family';
import type { Label } from './label';
import { SUFFIXES } from './sample-role';

/** A sample as Prometheus would store it: the comparable identity and value of one series point. */
export interface DecodedSample {
  readonly family: string;
  readonly name: string;
  readonly labels: readonly Label[];
  readonly value: number;
  /** The timestamp as written, in the body's unit; undefined when absent. */
  readonly timestamp: string | undefined;
  /** Milliseconds, computed as Prometheus does from either format; undefined when absent or beyond int64. */
  readonly timestampMs: string | undefined;
  /** The exemplar as written (OpenMetrics only), from its `#`. */
  readonly exemplar: string | undefined;
}

/** Every sample of a parsed body, decoded (slow: for tests, debugging and tools, not the scrape path). */
export function decodeSamples(exposition: ParsedExposition): DecodedSample[] {
  const { body, samples: table } = exposition;
  const result: DecodedSample[] = [];
  for (const family of exposition.families) {
    for (const row of family.samples) {
      const ts = table.timestampStart[row];
      const rawTimestamp = ts >= 0 ? body.toString('latin1', ts, table.timestampEnd[row]) : undefined;
      result.push({
        family: family.name,
        name: family.name + SUFFIXES[table.role[row]],
        labels: decodeLabels(body, table.labelsStart[row], table.labelsEnd[row]),
        value: table.value[row],
        timestamp: rawTimestamp,
        timestampMs:
          rawTimestamp === undefined
            ? undefined
            : exposition.format === 'openmetrics'
              ? secondsToMillis(Number(rawTimestamp))
              : BigInt(rawTimestamp).toString(),
        exemplar:
          table.exemplarStart[row] >= 0
            ? body.toString('utf8', table.exemplarStart[row], table.exemplarEnd[row])
            : undefined,
      });
    }
  }
  return result;
}
