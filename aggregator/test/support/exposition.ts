import {
  decodeSamples,
  type ExpositionFormat,
  mergeExpositions,
  parseExposition,
} from '../../src/exposition';

/** Parses and merges bodies given as strings; returns the merge result with its body as text. */
export function mergeTexts(
  upstreams: Record<string, { format: ExpositionFormat; body: string }>,
  format: ExpositionFormat,
  originLabel?: string,
) {
  const reservedLabels = [originLabel ?? 'origin_container'];
  const sources = Object.entries(upstreams).map(([origin, u]) => ({
    origin,
    exposition: parseExposition(Buffer.from(u.body), u.format, { reservedLabels }),
  }));
  const result = mergeExpositions(sources, { format, originLabel });
  return { ...result, text: result.body.toString('utf8') };
}

/** `name{a="b",…}` strings of every sample, labels sorted, for set comparisons. */
export function seriesOf(body: string, format: ExpositionFormat): string[] {
  return decodeSamples(parseExposition(Buffer.from(body), format)).map((s) => {
    const labels = [...s.labels].sort((a, b) => (a.name < b.name ? -1 : 1));
    return `${s.name}{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',')}} ${s.value}`;
  });
}

export const text = (body: string) => ({ format: 'text' as const, body });
export const om = (body: string) => ({ format: 'openmetrics' as const, body });
