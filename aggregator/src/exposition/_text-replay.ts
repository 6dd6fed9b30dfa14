// Reads a classic text body through the last parse of the same upstream, when every byte but the
// sample values is unchanged: the steady state of an application scraped again and again (its
// counters grow, its series stay). Prometheus's scrape cache does the same per series. Each line
// then costs a comparison of its bytes with last time's and the reading of its value, not a scan of
// its name and labels. Not API.
import { LF, sameBytesAcross, wordView } from './_bytes';
import { parseTextNumber } from './_numbers';
import type { ParsedExposition } from './family';
import { LabelFlags, SampleTable } from './sample-table';

/**
 * The exposition `body` would parse to, read through `previous` (a text parse with the same reserved
 * labels); undefined when anything but sample values differs, or a value does not read: the caller
 * then parses `body` in full, which finds the same samples, or names the error.
 */
export function replayText(body: Buffer, previous: ParsedExposition): ParsedExposition | undefined {
  const old = previous.body;
  const from = previous.samples;
  const n = from.length;
  const oldView = wordView(old);
  const view = wordView(body);
  const table = new SampleTable(n);
  // p walks the old body, q the new one; the bytes between one value and the next must be equal.
  let p = 0;
  let q = 0;
  for (let row = 0; row < n; row++) {
    const oldValueStart = from.valueStart[row];
    const oldValueEnd = from.valueEnd[row];
    // Only lines that end with their value: a timestamp or exemplar changes with each scrape too.
    if (from.timestampStart[row] >= 0 || from.exemplarStart[row] >= 0 || old[oldValueEnd] !== LF) return;
    const valueStart = q + (oldValueStart - p);
    if (valueStart > body.length || !sameBytesAcross(oldView, p, view, q, oldValueStart - p)) return;
    let valueEnd = valueStart;
    while (valueEnd < body.length) {
      const c = body[valueEnd];
      if (c === LF) break;
      // A blank would start a timestamp: not the same shape as last time.
      if (c === 0x20 || c === 0x09) return;
      valueEnd++;
    }
    if (valueEnd === body.length) return;
    const value = parseTextNumber(body, valueStart, valueEnd);
    if (value === undefined) return;

    const shift = valueStart - oldValueStart;
    const oldFlags = from.flags[row];
    table.add(from.role[row], from.line[row]);
    table.nameStart[row] = from.nameStart[row] + shift;
    table.labelsStart[row] = from.labelsStart[row] + shift;
    table.labelsEnd[row] = from.labelsEnd[row] + shift;
    if (oldFlags & LabelFlags.HasLe) {
      table.lePairStart[row] = from.lePairStart[row] + shift;
      table.lePairEnd[row] = from.lePairEnd[row] + shift;
      table.leValueStart[row] = from.leValueStart[row] + shift;
      table.leValueEnd[row] = from.leValueEnd[row] + shift;
    }
    if (oldFlags & LabelFlags.HasQuantile) {
      table.quantilePairStart[row] = from.quantilePairStart[row] + shift;
      table.quantilePairEnd[row] = from.quantilePairEnd[row] + shift;
      table.quantileValueStart[row] = from.quantileValueStart[row] + shift;
      table.quantileValueEnd[row] = from.quantileValueEnd[row] + shift;
    }
    table.value[row] = value;
    table.valueStart[row] = valueStart;
    table.valueEnd[row] = valueEnd;
    table.end[row] = valueEnd;
    table.timestampStart[row] = -1;
    table.exemplarStart[row] = -1;
    // Every number classic text accepts is an OpenMetrics number too: whether the line can be copied
    // into either format does not depend on which value it holds.
    table.flags[row] = oldFlags;
    p = oldValueEnd;
    q = valueEnd;
  }
  if (old.length - p !== body.length - q || !sameBytesAcross(oldView, p, view, q, old.length - p)) return;
  return {
    format: 'text',
    body,
    // Same lines in the same order: the families and their rows are the same. Parsers never change
    // a family once they return it, so both parses can share them.
    families: previous.families,
    samples: table,
    reservedLabels: previous.reservedLabels,
  };
}
