import type { ExpositionFormat } from './format';
import type { SampleTable } from './sample-table';

/**
 * Metric family types of both formats. Classic text knows counter, gauge, histogram, summary and
 * untyped (here `unknown`, its OpenMetrics name); OpenMetrics adds gaugehistogram, info, stateset.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

/** A metric family as one upstream declared it, in that upstream's own naming. */
export interface Family {
  readonly name: string;
  type: MetricType;
  /** Whether a TYPE line declared the type (classic text lets samples come without one). */
  typed: boolean;
  /** Decoded HELP text; undefined when the upstream gave none. */
  help: string | undefined;
  /** OpenMetrics UNIT; undefined when none. */
  unit: string | undefined;
  /** Rows of `ParsedExposition.samples`, in the order the upstream wrote them. */
  readonly samples: number[];
  /** Line of the family's first line, for messages. */
  readonly line: number;
}

/** A family known only by name so far: untyped until a TYPE line says otherwise. */
export function undeclaredFamily(name: string, line: number): Family {
  return { name, type: 'unknown', typed: false, help: undefined, unit: undefined, samples: [], line };
}

/** One upstream body, parsed and validated: families in upstream order over a table of samples. */
export interface ParsedExposition {
  readonly format: ExpositionFormat;
  readonly body: Buffer;
  readonly families: Family[];
  readonly samples: SampleTable;
  /** Label names whose presence was flagged for renaming (the labels the merge will inject). */
  readonly reservedLabels: readonly string[];
}
