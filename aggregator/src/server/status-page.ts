import type { UpstreamStatus } from '../collect/upstream-status';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The small page at `/`: each upstream with its last status, error and sample count. */
export function statusPage(version: string, statuses: readonly UpstreamStatus[]): string {
  const rows = statuses
    .map((s) => {
      const state = s.up === undefined ? 'not scraped yet' : s.up ? 'up' : 'DOWN';
      const cells = [
        escapeHtml(s.name),
        escapeHtml(s.url),
        state,
        s.lastScrape ? s.lastScrape.toISOString() : '',
        s.durationMs === undefined ? '' : `${s.durationMs.toFixed(1)} ms`,
        s.samples === undefined ? '' : String(s.samples),
        s.error ? escapeHtml(`${s.error.reason}: ${s.error.message}`) : '',
      ];
      return `<tr class="${s.up === false ? 'down' : ''}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>metrics-aggregator</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.down{background:#fdd}</style>
</head><body>
<h1>metrics-aggregator ${escapeHtml(version)}</h1>
<p>Merged metrics: <a href="/metrics">/metrics</a> &middot; <a href="/healthz">/healthz</a> &middot; <a href="/readyz">/readyz</a></p>
<table><thead><tr><th>upstream</th><th>url</th><th>status</th><th>last scrape</th><th>duration</th><th>samples</th><th>last error</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
