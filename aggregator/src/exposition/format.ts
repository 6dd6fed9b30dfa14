/** The two text exposition formats the engine reads and writes. Protobuf is never spoken. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** Classic Prometheus text format 0.0.4 (prometheus/docs: exposition_formats.md). */
export const CONTENT_TYPE_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** OpenMetrics 1.0.0 text (OpenMetrics specification, "Overall structure"). */
export const CONTENT_TYPE_OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The Accept header an upstream is asked with: OpenMetrics first, as Prometheus itself asks. */
export const UPSTREAM_ACCEPT =
  'application/openmetrics-text;version=1.0.0;q=0.9,application/openmetrics-text;version=0.0.1;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The Content-Type string to answer with for a format. */
export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? CONTENT_TYPE_OPENMETRICS : CONTENT_TYPE_TEXT;
}

/** The parser for an upstream's Content-Type: OpenMetrics when it says so, classic text otherwise. */
export function formatOfContentType(contentType: string | undefined): ExpositionFormat {
  if (!contentType) return 'text';
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase();
  return mediaType === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}

/**
 * The format to answer a client with, from its Accept header: OpenMetrics when the client rates it
 * above classic text (RFC 9110 section 12.5.1 quality values), classic text otherwise.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let openMetrics = -1;
  let text = -1;
  let wildcard = -1;
  for (const range of accept.split(',')) {
    const params = range.split(';');
    const mediaType = params[0].trim().toLowerCase();
    let q = 1;
    let version: string | undefined;
    for (let i = 1; i < params.length; i++) {
      const eq = params[i].indexOf('=');
      if (eq < 0) continue;
      const key = params[i].slice(0, eq).trim().toLowerCase();
      const value = params[i]
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
      if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else if (key === 'version') version = value;
    }
    if (mediaType === 'application/openmetrics-text') {
      // Only the versions whose text we write are acceptable.
      if (version === undefined || version === '1.0.0' || version === '0.0.1')
        openMetrics = Math.max(openMetrics, q);
    } else if (mediaType === 'text/plain') {
      if (version === undefined || version === '0.0.4') text = Math.max(text, q);
    } else if (mediaType === '*/*' || mediaType === 'text/*' || mediaType === 'application/*') {
      wildcard = Math.max(wildcard, q);
    }
  }
  if (text < 0) text = wildcard;
  return openMetrics > 0 && openMetrics > text ? 'openmetrics' : 'text';
}
