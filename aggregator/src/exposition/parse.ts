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
  return format === 'openmetrics' ? parseOpenMetrics(body, reserved) : parseText(body, reserved);
}
