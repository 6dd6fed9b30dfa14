// Writes planned families as bytes, copying each sample's parts from its upstream body wherever
// the bytes are already right for the output format. Not API.
import { ByteWriter, LF, PackedBytes } from './_bytes';
import { decodeLabels, encodeLabels, injectLabels } from './_label-rewrite';
import { millisToSecondsOpenMetrics, secondsToMillisText } from './_numbers';
import type { OutputFamily } from './_plan';
import type { MetricType, ParsedExposition } from './family';
import type { ExpositionFormat } from './format';
import type { Label } from './label';
import { SUFFIXES } from './sample-role';
import { LabelFlags } from './sample-table';

export interface WriterSource {
  readonly exposition: ParsedExposition;
  /** The labels to inject, origin first. */
  readonly injected: readonly Label[];
}

export interface Written {
  readonly body: Buffer;
  readonly samples: number;
  readonly dropped: number;
}

const TEXT_TYPE_NAMES: Record<MetricType, string> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  unknown: 'untyped',
  // Never planned for classic output; the plan turns these into gauges.
  gaugehistogram: 'untyped',
  info: 'untyped',
  stateset: 'untyped',
};

export function writeFamilies(
  families: readonly OutputFamily[],
  sources: readonly WriterSource[],
  format: ExpositionFormat,
): Written {
  const openMetrics = format === 'openmetrics';
  const prefixes = sources.map((s) => new PackedBytes(Buffer.from(encodeLabels(s.injected), 'utf8')));
  let estimate = 64;
  for (let k = 0; k < sources.length; k++) {
    estimate +=
      sources[k].exposition.body.length + sources[k].exposition.samples.length * (prefixes[k].length + 4);
  }
  const w = new ByteWriter(
    estimate,
    sources.map((s) => s.exposition.body),
  );
  let samples = 0;
  let dropped = 0;

  for (const family of families) {
    writeMetadata(w, family, openMetrics);
    for (const part of family.parts) {
      const { exposition, injected } = sources[part.source];
      const { body, samples: table } = exposition;
      const prefix = prefixes[part.source];
      const sameFormat = exposition.format === format;
      const noCopyMask = openMetrics
        ? LabelFlags.LooseSyntax | LabelFlags.Reserved
        : LabelFlags.OddEscape | LabelFlags.Reserved;
      // Copyable lines are written lazily: body[runFrom..runTo) is still owed, then an LF. A line that
      // follows the owed one in the body extends the run, so each line costs one copy and the prefix.
      let runFrom = 0;
      let runTo = -1;
      for (const row of part.family.samples) {
        const role = part.roleMap[table.role[row]];
        if (role === -1) continue;
        const flags = table.flags[row];
        if (!(flags & noCopyMask) && (sameFormat || flags & LabelFlags.Portable)) {
          // The line is already right but for the injected labels.
          const ls = table.labelsStart[row];
          const nameStart = table.nameStart[row];
          if (runTo >= 0 && !(nameStart === runTo + 1 && body[runTo] === LF)) {
            w.copySource(part.source, runFrom, runTo);
            w.byte(LF);
            runTo = -1;
          }
          if (runTo < 0) runFrom = nameStart;
          if (body[ls - 1] === 0x7b) {
            w.copySource(part.source, runFrom, ls);
            w.packed(prefix);
            if (table.labelsEnd[row] > ls) w.byte(0x2c);
            runFrom = ls;
          } else {
            const nameEnd = nameStart + family.name.length + SUFFIXES[role].length;
            w.copySource(part.source, runFrom, nameEnd);
            w.byte(0x7b);
            w.packed(prefix);
            w.byte(0x7d);
            runFrom = nameEnd;
          }
          runTo = table.end[row];
          samples++;
          continue;
        }
        if (runTo >= 0) {
          w.copySource(part.source, runFrom, runTo);
          w.byte(LF);
          runTo = -1;
        }
        const lineStart = w.length;
        // Metric names are ASCII (the parsers accept no other).
        w.ascii(family.name);
        w.ascii(SUFFIXES[role]);
        w.byte(0x7b);
        w.packed(prefix);
        const ls = table.labelsStart[row];
        const le = table.labelsEnd[row];
        if (flags & noCopyMask) {
          const labels = injectLabels(decodeLabels(body, ls, le), injected);
          w.utf8(encodeLabels(labels.slice(injected.length)).replace(/^(?=.)/, ','));
        } else if (le > ls) {
          w.byte(0x2c);
          w.copySource(part.source, ls, le);
        }
        w.byte(0x7d);
        w.byte(0x20);
        w.copySource(part.source, table.valueStart[row], table.valueEnd[row]);
        const ts = table.timestampStart[row];
        if (ts >= 0) {
          let converted: string | undefined;
          if (!sameFormat) {
            const te = table.timestampEnd[row];
            converted = openMetrics
              ? millisToSecondsOpenMetrics(body, ts, te)
              : secondsToMillisText(Number(body.toString('latin1', ts, te)));
            if (converted === undefined) {
              // The output format has no way to write this instant: count it rather than move it.
              w.truncate(lineStart);
              dropped++;
              continue;
            }
          }
          w.byte(0x20);
          if (converted === undefined) w.copySource(part.source, ts, table.timestampEnd[row]);
          else w.ascii(converted);
        }
        if (openMetrics && sameFormat && table.exemplarStart[row] >= 0) {
          w.byte(0x20);
          w.copySource(part.source, table.exemplarStart[row], table.exemplarEnd[row]);
        }
        w.byte(0x0a);
        samples++;
      }
      if (runTo >= 0) {
        w.copySource(part.source, runFrom, runTo);
        w.byte(LF);
      }
    }
  }
  if (openMetrics) w.ascii('# EOF\n');
  return { body: w.finish(), samples, dropped };
}

function writeMetadata(w: ByteWriter, family: OutputFamily, openMetrics: boolean): void {
  if (family.help !== undefined) {
    w.ascii(`# HELP ${family.name} `);
    w.utf8(escapeHelp(family.help, openMetrics));
    w.byte(0x0a);
  }
  w.ascii(`# TYPE ${family.name} ${openMetrics ? family.type : TEXT_TYPE_NAMES[family.type]}\n`);
  if (openMetrics && family.unit !== undefined) w.ascii(`# UNIT ${family.name} ${family.unit}\n`);
}

/** Classic HELP escapes \\ and \n; OpenMetrics also \". */
function escapeHelp(help: string, openMetrics: boolean): string {
  if (!NEEDS_ESCAPE.test(help)) return help;
  const special = openMetrics ? /[\\\n"]/g : /[\\\n]/g;
  return help.replace(special, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Most HELP texts hold none of the characters either format escapes. */
const NEEDS_ESCAPE = /[\\\n"]/;
