import { plan, type TypeConflict, Unrepresentable } from './_plan';
import { writeFamilies } from './_writer';
import type { Family, ParsedExposition } from './family';
import { contentTypeOf, type ExpositionFormat } from './format';
import { isValidLabelName, type Label } from './label';

export type { TypeConflict } from './_plan';

/** One upstream's parsed body and who it is. */
export interface MergeSource {
  /** The upstream's name: the value of the origin label on each of its series. */
  readonly origin: string;
  readonly exposition: ParsedExposition;
  /** Static labels added to every series of this upstream, after the origin label. */
  readonly labels?: readonly Label[];
}

export interface MergeOptions {
  /** The format the client asked for (see `negotiateFormat`). */
  readonly format: ExpositionFormat;
  /** @default 'origin_container' */
  readonly originLabel?: string;
}

export interface MergeResult {
  readonly body: Buffer;
  /** The format written: classic text when OpenMetrics was asked for but cannot hold the merge. */
  readonly format: ExpositionFormat;
  readonly contentType: string;
  readonly sampleCount: number;
  /** Families that upstreams declare with different types; every sample was still written. */
  readonly typeConflicts: readonly TypeConflict[];
  /** Why OpenMetrics was asked for and classic text written; undefined when it was not. */
  readonly fallbackReason: string | undefined;
  /** Samples the output format cannot carry (OpenMetrics timestamps beyond classic's int64 milliseconds). */
  readonly droppedSamples: number;
}

/**
 * Merges upstream expositions into one: every series labelled with its origin, each metric family
 * written once with all its samples together, in the requested format when it can hold them all.
 */
export function mergeExpositions(sources: readonly MergeSource[], options: MergeOptions): MergeResult {
  const originLabel = options.originLabel ?? 'origin_container';
  if (!isValidLabelName(originLabel))
    throw new TypeError(`origin label "${originLabel}" is not a valid label name`);
  const origins = new Set<string>();
  const writerSources = sources.map(({ origin, exposition, labels = [] }) => {
    if (origins.has(origin))
      throw new TypeError(`origin "${origin}" appears twice: its series would collide`);
    origins.add(origin);
    const injected = [{ name: originLabel, value: origin }, ...labels];
    for (const { name } of injected) {
      if (!exposition.reservedLabels.includes(name)) {
        throw new TypeError(
          `"${origin}" was parsed without reserving label "${name}" (ParseOptions.reservedLabels)`,
        );
      }
    }
    return { exposition, injected };
  });

  let format = options.format;
  let fallbackReason: string | undefined;
  let planned: ReturnType<typeof plan> | undefined;
  // A classic counter, histogram or summary in the way is written as unknown families instead (names
  // kept); only when OpenMetrics families themselves collide is the answer classic text.
  const degraded = new Set<Family>();
  while (!planned) {
    try {
      planned = plan(sources, format, degraded);
    } catch (error) {
      if (!(error instanceof Unrepresentable)) throw error;
      const fresh = error.degradable.filter((f) => !degraded.has(f));
      if (fresh.length > 0) {
        for (const family of fresh) degraded.add(family);
        continue;
      }
      fallbackReason = error.message;
      format = 'text';
      planned = plan(sources, format);
    }
  }
  const written = writeFamilies(planned.families, writerSources, format);
  return {
    body: written.body,
    format,
    contentType: contentTypeOf(format),
    sampleCount: written.samples,
    typeConflicts: planned.conflicts,
    fallbackReason,
    droppedSamples: written.dropped,
  };
}
