import { negotiateFormat } from '../src/exposition';
import { mergeTexts, om, seriesOf, text } from './support/exposition';

const lines = (body: string) => body.split('\n').filter((l) => l !== '');

describe('merging upstreams', () => {
  it('labels every series with its origin and keeps each family together under one HELP and TYPE', () => {
    const result = mergeTexts(
      {
        api: text(
          '# HELP up_seconds Uptime.\n# TYPE up_seconds gauge\nup_seconds 1\n# TYPE reqs_total counter\nreqs_total{code="200"} 5\n',
        ),
        worker: text(
          '# HELP up_seconds Worker uptime.\n# TYPE up_seconds gauge\nup_seconds 2\n# TYPE jobs_total counter\njobs_total 3\n',
        ),
      },
      'text',
    );
    expect(lines(result.text)).toEqual([
      '# HELP up_seconds Uptime.',
      '# TYPE up_seconds gauge',
      'up_seconds{origin_container="api"} 1',
      'up_seconds{origin_container="worker"} 2',
      '# TYPE reqs_total counter',
      'reqs_total{origin_container="api",code="200"} 5',
      '# TYPE jobs_total counter',
      'jobs_total{origin_container="worker"} 3',
    ]);
    expect(result.typeConflicts).toEqual([]);
  });

  it('moves an existing origin label to exported_origin_container, as Prometheus does for target labels', () => {
    const result = mergeTexts(
      {
        api: text(
          'a{origin_container="sidecar",exported_origin_container="x",b="1"} 1\nb{origin_container=""} 2\n',
        ),
      },
      'text',
    );
    expect(seriesOf(result.text, 'text')).toEqual([
      'a{b="1",exported_exported_origin_container="sidecar",exported_origin_container="x",origin_container="api"} 1',
      'b{origin_container="api"} 2',
    ]);
  });

  it('uses the configured origin label name', () => {
    const result = mergeTexts({ api: text('a 1\n') }, 'text', 'container');
    expect(lines(result.text)).toContain('a{container="api"} 1');
  });

  it('adds static labels after the origin label and escapes label values', () => {
    const { mergeExpositions, parseExposition } = require('../src/exposition');
    const exposition = parseExposition(Buffer.from('a{team="x"} 1\n'), 'text', {
      reservedLabels: ['origin_container', 'team'],
    });
    const result = mergeExpositions(
      [{ origin: 'a"p\\i', exposition, labels: [{ name: 'team', value: 'pay\nments' }] }],
      {
        format: 'text',
      },
    );
    expect(result.body.toString()).toBe(
      '# TYPE a untyped\na{origin_container="a\\"p\\\\i",team="pay\\nments",exported_team="x"} 1\n',
    );
  });

  describe('classic text to OpenMetrics', () => {
    it('turns a counter foo_total into the OpenMetrics family foo with the same sample name', () => {
      const result = mergeTexts(
        { api: text('# HELP foo_total Foo.\n# TYPE foo_total counter\nfoo_total 1\n') },
        'openmetrics',
      );
      expect(lines(result.text)).toEqual([
        '# HELP foo Foo.',
        '# TYPE foo counter',
        'foo_total{origin_container="api"} 1',
        '# EOF',
      ]);
    });

    it('never adds _total: a counter without the suffix becomes unknown, same name', () => {
      const result = mergeTexts({ api: text('# TYPE requests counter\nrequests 7\n') }, 'openmetrics');
      expect(lines(result.text)).toEqual([
        '# TYPE requests unknown',
        'requests{origin_container="api"} 7',
        '# EOF',
      ]);
    });

    it('converts millisecond timestamps to seconds that Prometheus turns back into the same milliseconds', () => {
      const result = mergeTexts({ api: text('a 1 1395066363001\nb 1 5\nc 1 0\n') }, 'openmetrics');
      expect(lines(result.text)).toEqual(
        expect.arrayContaining([
          'a{origin_container="api"} 1 1395066363.001',
          'b{origin_container="api"} 1 0.005',
          'c{origin_container="api"} 1 0',
        ]),
      );
      for (const ms of [1395066363001, 1700000000123, 1234567, 1, 999, 4503599627370, 1732537000017]) {
        const out = mergeTexts({ api: text(`a 1 ${ms}\n`) }, 'openmetrics').text;
        const seconds = Number(/ ([-\d.e]+)\n# EOF/.exec(out)?.[1]);
        expect(Math.trunc(seconds * 1000)).toBe(ms);
      }
    });

    it('drops and counts a sample whose millisecond timestamp no float64 of seconds can carry', () => {
      const result = mergeTexts({ api: text('a 1 8997402899816106\nb 2\n') }, 'openmetrics');
      expect(result.droppedSamples).toBe(1);
      expect(seriesOf(result.text, 'openmetrics')).toEqual(['b{origin_container="api"} 2']);
    });

    it('re-encodes labels with whitespace or a trailing comma', () => {
      expect(mergeTexts({ api: text('a{ b = "1" , } 1\n') }, 'openmetrics').text).toContain(
        'a{origin_container="api",b="1"} 1\n',
      );
    });

    it('keeps a valid histogram and summary typed', () => {
      const result = mergeTexts(
        {
          api: text(
            '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 2\ns_count 3\n',
          ),
        },
        'openmetrics',
      );
      expect(lines(result.text)).toContain('# TYPE h histogram');
      expect(lines(result.text)).toContain('# TYPE s summary');
    });

    it('writes a histogram OpenMetrics would reject as one unknown family per sample name, names kept', () => {
      // No +Inf bucket: fine for Prometheus reading classic text, invalid as an OpenMetrics histogram.
      const result = mergeTexts(
        { api: text('# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 3\nh_count 2\n') },
        'openmetrics',
      );
      expect(result.format).toBe('openmetrics');
      expect(lines(result.text)).toEqual([
        '# TYPE h_bucket unknown',
        'h_bucket{origin_container="api",le="1"} 1',
        '# TYPE h_count unknown',
        'h_count{origin_container="api"} 2',
        '# TYPE h_sum unknown',
        'h_sum{origin_container="api"} 3',
        '# EOF',
      ]);
    });
  });

  describe('OpenMetrics to classic text', () => {
    it('turns counter foo into family foo_total and its _created into a gauge family of its own', () => {
      const result = mergeTexts(
        {
          api: om(
            '# TYPE foo counter\n# HELP foo Foo.\nfoo_total 1 # {trace="a"} 1\nfoo_created 1700000000.5\n# EOF\n',
          ),
        },
        'text',
      );
      expect(lines(result.text)).toEqual([
        '# HELP foo_total Foo.',
        '# TYPE foo_total counter',
        'foo_total{origin_container="api"} 1',
        '# TYPE foo_created gauge',
        'foo_created{origin_container="api"} 1700000000.5',
      ]);
    });

    it('turns info, stateset and gauge histograms into gauges with unchanged sample names', () => {
      const result = mergeTexts(
        {
          api: om(
            '# TYPE build info\nbuild_info{v="1"} 1\n# TYPE st stateset\nst{st="on"} 1\n# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 1\ng_gcount 1\ng_gsum 2\n# EOF\n',
          ),
        },
        'text',
      );
      expect(lines(result.text).filter((l) => l.startsWith('# TYPE'))).toEqual([
        '# TYPE build_info gauge',
        '# TYPE st gauge',
        '# TYPE g_bucket gauge',
        '# TYPE g_gcount gauge',
        '# TYPE g_gsum gauge',
      ]);
    });

    it('converts second timestamps to integer milliseconds the way Prometheus does', () => {
      const result = mergeTexts({ api: om('a 1 1.5\nb 1 1700000000.0019\n# EOF\n') }, 'text');
      expect(lines(result.text)).toEqual(
        expect.arrayContaining([
          'a{origin_container="api"} 1 1500',
          'b{origin_container="api"} 1 1700000000001',
        ]),
      );
    });

    it('re-escapes label values whose escapes strict text parsers refuse', () => {
      expect(mergeTexts({ api: om('a{b="x\\z"} 1\n# EOF\n') }, 'text').text).toContain(
        'a{origin_container="api",b="x\\\\z"} 1\n',
      );
    });

    it('drops and counts a sample whose timestamp classic text cannot write (beyond int64, before 1970)', () => {
      const result = mergeTexts({ api: om('a 1 1e300\nc 1 -1.5\nb 1\n# EOF\n') }, 'text');
      expect(result.droppedSamples).toBe(2);
      expect(seriesOf(result.text, 'text')).toEqual(['b{origin_container="api"} 1']);
    });
  });

  describe('type conflicts', () => {
    it('answers in classic text when OpenMetrics would need two families of one name, and counts it', () => {
      const result = mergeTexts(
        {
          api: om('# TYPE foo counter\nfoo_total 1\nfoo_created 2\n# EOF\n'),
          worker: text('# TYPE foo gauge\nfoo 3\n'),
        },
        'openmetrics',
      );
      expect(result.format).toBe('text');
      expect(result.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(result.fallbackReason).toMatch(/"foo" is a counter in "api" and a gauge in "worker"/);
      expect(seriesOf(result.text, 'text').sort()).toEqual([
        'foo_created{origin_container="api"} 2',
        'foo_total{origin_container="api"} 1',
        'foo{origin_container="worker"} 3',
      ]);
    });

    it('answers in classic text when two families would own the same sample name', () => {
      const result = mergeTexts(
        {
          api: om('# TYPE foo counter\nfoo_total 1\n# EOF\n'),
          worker: om('# TYPE foo_total gauge\nfoo_total 3\n# EOF\n'),
        },
        'openmetrics',
      );
      expect(result.format).toBe('text');
      expect(result.fallbackReason).toContain('foo_total');
      expect(seriesOf(result.text, 'text').sort()).toEqual([
        'foo_total{origin_container="api"} 1',
        'foo_total{origin_container="worker"} 3',
      ]);
    });

    it.each([
      [
        'a series written twice, once with a timestamp',
        'x 1\nx 2 5\n',
        'line 2: some samples of a metric have a timestamp and others do not',
      ],
      [
        'a series repeated after another',
        'x{a="1"} 1\nx{a="2"} 1\nx{a="1"} 3\n',
        'line 3: samples of one metric are not contiguous',
      ],
      [
        'a histogram bucket repeated',
        '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\nh_bucket{le="1"} 1\n',
        'line 6: samples of one metric are not contiguous',
      ],
    ])(
      'answers in classic text, every sample as it came, for %s (fine in classic text only)',
      (_what, body, reason) => {
        const result = mergeTexts({ api: text(body) }, 'openmetrics');
        expect(result.format).toBe('text');
        expect(result.fallbackReason).toContain(`"api" ${reason}`);
        expect(seriesOf(result.text, 'text')).toEqual(
          seriesOf(mergeTexts({ api: text(body) }, 'text').text, 'text'),
        );
        expect(seriesOf(result.text, 'text')).toHaveLength(
          lines(body).filter((l) => !l.startsWith('#')).length,
        );
      },
    );

    it('writes a classic counter as unknown rather than fall back, when its OpenMetrics name is taken', () => {
      // A gauge `jobs` and a counter `jobs_total`: as OpenMetrics both would be family `jobs`.
      const result = mergeTexts(
        { api: text('# TYPE jobs gauge\njobs 1\n# TYPE jobs_total counter\njobs_total 5\n') },
        'openmetrics',
      );
      expect(result.format).toBe('openmetrics');
      expect(result.fallbackReason).toBeUndefined();
      expect(lines(result.text)).toEqual([
        '# TYPE jobs gauge',
        'jobs{origin_container="api"} 1',
        '# TYPE jobs_total unknown',
        'jobs_total{origin_container="api"} 5',
        '# EOF',
      ]);
    });

    it('keeps both sides of a gauge/untyped conflict in one family under the first type and counts it', () => {
      const result = mergeTexts({ api: text('# TYPE x gauge\nx 1\n'), worker: text('x 2\n') }, 'openmetrics');
      expect(result.format).toBe('openmetrics');
      expect(lines(result.text)).toEqual([
        '# TYPE x gauge',
        'x{origin_container="api"} 1',
        'x{origin_container="worker"} 2',
        '# EOF',
      ]);
      expect(result.typeConflicts).toEqual([
        { family: 'x', firstOrigin: 'api', firstType: 'gauge', origin: 'worker', type: 'unknown' },
      ]);
    });

    it('writes every sample of a histogram/gauge conflict in classic text under the first TYPE', () => {
      const result = mergeTexts(
        {
          api: text('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
          worker: text('# TYPE h gauge\nh 5\n'),
        },
        'text',
      );
      expect(lines(result.text).filter((l) => l.startsWith('#'))).toEqual(['# TYPE h histogram']);
      expect(seriesOf(result.text, 'text')).toHaveLength(4);
      expect(result.typeConflicts).toHaveLength(1);
    });
  });

  it('rejects an origin label that is not a valid label name', () => {
    expect(() => mergeTexts({ a: text('x 1\n') }, 'text', 'bad-name')).toThrow('not a valid label name');
  });

  it('rejects two sources with the same origin, whose series would collide', () => {
    const { mergeExpositions, parseExposition } = require('../src/exposition');
    const exposition = parseExposition(Buffer.from('x 1\n'), 'text');
    expect(() =>
      mergeExpositions(
        [
          { origin: 'a', exposition },
          { origin: 'a', exposition },
        ],
        { format: 'text' },
      ),
    ).toThrow('origin "a" appears twice');
  });
});

describe('format negotiation', () => {
  it.each([
    [undefined, 'text'],
    ['text/plain', 'text'],
    ['*/*', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
    // Prometheus 2.42's scrape Accept header.
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      'openmetrics',
    ],
    ['text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5', 'text'],
    ['application/openmetrics-text;version=2.0.0', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited', 'text'],
  ])('answers Accept %j with %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});
