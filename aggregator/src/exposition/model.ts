import type { ExpositionFormat } from './format';

/**
 * Metric family types of both formats. Classic text knows counter, gauge, histogram, summary and
 * untyped; OpenMetrics adds gaugehistogram, info, stateset and calls untyped "unknown".
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

/** One label, decoded: the value is the real string, escapes resolved. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/**
 * One sample line, kept as offsets into the upstream body so that writing it back costs a copy,
 * not a re-encoding. Offsets are absolute byte positions in `ParsedExposition.body`.
 */
export interface Sample {
  /** The sample's metric name as written, e.g. `http_requests_total` or `rpc_seconds_bucket`. */
  readonly name: string;
  /** Bytes between `{` and `}` (both excluded); equal when there is no label block. */
  readonly labelsStart: number;
  readonly labelsEnd: number;
  /**
   * False when the label bytes cannot be copied verbatim into every output: whitespace or a trailing
   * comma (classic text only), an escape other than \\ \" \n, or a label the writer must rename.
   */
  readonly labelsCopyable: boolean;
  /** The parsed value and the bytes it was written with. */
  readonly value: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** Timestamp in the source's unit (ms in classic text, seconds in OpenMetrics); -1 start if absent. */
  readonly timestampStart: number;
  readonly timestampEnd: number;
  /** ` # {labels} value [timestamp]` of OpenMetrics, from the `#`; -1 start if absent. */
  readonly exemplarStart: number;
  readonly exemplarEnd: number;
  /** 1-based line number in the upstream body, for error messages. */
  readonly line: number;
}

/** A metric family as the upstream declared it, in the upstream's own naming. */
export interface Family {
  readonly name: string;
  readonly type: MetricType;
  /** Decoded HELP text; undefined when the upstream gave none. */
  readonly help: string | undefined;
  /** OpenMetrics UNIT; undefined when none. */
  readonly unit: string | undefined;
  readonly samples: Sample[];
}

/** One upstream's body, parsed and validated. */
export interface ParsedExposition {
  readonly format: ExpositionFormat;
  readonly body: Buffer;
  readonly families: Family[];
  readonly sampleCount: number;
}
