import type { ParsedExposition } from '../exposition';
import { SUFFIXES } from '../exposition/sample-role';

/**
 * The exposition with only the families an upstream's keep/drop patterns let through. A pattern is
 * matched against the family name and the names its samples carry (`http_requests` and
 * `http_requests_total` alike), so it works whatever format the upstream speaks. Whole families
 * are kept or dropped: a histogram never loses only some of its samples.
 */
export function filterFamilies(
  exposition: ParsedExposition,
  keep: readonly RegExp[],
  drop: readonly RegExp[],
): ParsedExposition {
  if (keep.length === 0 && drop.length === 0) return exposition;
  const { samples } = exposition;
  const families = exposition.families.filter((family) => {
    const names = new Set([family.name]);
    for (const row of family.samples) names.add(family.name + SUFFIXES[samples.role[row]]);
    const matches = (patterns: readonly RegExp[]) => patterns.some((p) => [...names].some((n) => p.test(n)));
    return (keep.length === 0 || matches(keep)) && !matches(drop);
  });
  return { ...exposition, families };
}
