import { filterFamilies } from '../src/collect/family-filter';
import { decodeSamples, parseExposition } from '../src/exposition';

const body = [
  '# TYPE http_requests counter',
  'http_requests_total{code="200"} 1',
  '# TYPE go_gc_duration_seconds summary',
  'go_gc_duration_seconds{quantile="0.5"} 0.1',
  'go_gc_duration_seconds_sum 1',
  'go_gc_duration_seconds_count 2',
  '# TYPE queue_depth gauge',
  'queue_depth 3',
  '# EOF',
  '',
].join('\n');
const names = (keep: RegExp[], drop: RegExp[]) => [
  ...new Set(
    decodeSamples(filterFamilies(parseExposition(Buffer.from(body), 'openmetrics'), keep, drop)).map(
      (s) => s.family,
    ),
  ),
];

describe('keep/drop of metric families', () => {
  it('keeps everything without patterns', () => {
    expect(names([], [])).toEqual(['http_requests', 'go_gc_duration_seconds', 'queue_depth']);
  });

  it('matches a pattern against the sample names too, so _total works on an OpenMetrics counter', () => {
    expect(names([/^http_requests_total$/], [])).toEqual(['http_requests']);
  });

  it('drops whole families: a summary never loses only some samples', () => {
    expect(names([], [/_count$/])).toEqual(['http_requests', 'queue_depth']);
  });

  it('applies drop after keep', () => {
    expect(names([/^(http|queue)/], [/queue/])).toEqual(['http_requests']);
  });
});
