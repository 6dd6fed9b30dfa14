import { replayText } from './_text-replay';
import type { ParsedExposition } from './family';
import type { ExpositionFormat } from './format';
import { parseOpenMetrics } from './parse-openmetrics';
import { parseText } from './parse-text';

export interface ParseOptions {
  /**
   * Labels the merge will inject (the origin label, static labels): samples that already carry one
   * are marked so the writer renames theirs to `exported_<name>`.
   * @default ['origin_container']
   */
  readonly reservedLabels?: readonly string[];
  /**
   * The last parse of the same upstream. A body that differs from it only in sample values (the
   * steady state of a scraped application) is then read in a fraction of the time; any other body
   * is parsed in full. The result is the same either way. It must be what `parseExposition` returned,
   * unchanged (not filtered): the new parse shares its families.
   */
  readonly previous?: ParsedExposition;
}

/**
 * Parses one upstream body in the given format (see `formatOfContentType`).
 * @throws ExpositionParseError naming the line and what is wrong; nothing of the body is kept then.
 */
export function parseExposition(
  body: Buffer,
  format: ExpositionFormat,
  options: ParseOptions = {},
): ParsedExposition {
  const reserved = options.reservedLabels ?? ['origin_container'];
  if (format === 'openmetrics') return parseOpenMetrics(body, reserved);
  const { previous } = options;
  if (previous?.format === 'text' && sameNames(previous.reservedLabels, reserved)) {
    const replayed = replayText(body, previous);
    if (replayed) return replayed;
  }
  return parseText(body, reserved);
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
