import {
  ConfigError,
  type ConfigErrorCode,
  DEFAULT_UPSTREAM_DEFAULTS,
  parseMetricsEndpoints,
} from '../src/config';

function rejection(value: string): { code: ConfigErrorCode; message: string } {
  try {
    parseMetricsEndpoints(value);
  } catch (error) {
    if (error instanceof ConfigError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`accepted ${value}`);
}

const namesAndUrls = (value: string) => parseMetricsEndpoints(value).map(({ name, url }) => [name, url]);

describe('parseMetricsEndpoints', () => {
  it('parses a JSON object of names to URLs into upstreams with the default settings, in its order', () => {
    const upstreams = parseMetricsEndpoints(
      '{"worker":"http://localhost:9100/metrics","api":"http://localhost:8080/metrics"}',
    );

    expect(upstreams).toEqual([
      {
        name: 'worker',
        url: 'http://localhost:9100/metrics',
        timeoutMs: 10_000,
        headers: {},
        labels: [],
        keep: [],
        drop: [],
        limits: {
          maxBodyBytes: 52_428_800,
          maxCompressedBytes: 52_428_800,
          maxSamples: 500_000,
          maxLineBytes: 1_048_576,
        },
      },
      expect.objectContaining({ name: 'api', url: 'http://localhost:8080/metrics' }),
    ]);
    expect(upstreams[0]).not.toHaveProperty('tls');
    expect(upstreams[0]).not.toHaveProperty('bearerTokenFile');
  });

  it('names comma-separated URLs endpoint1, endpoint2, ... in order, trimming the space around them', () => {
    expect(namesAndUrls(' http://localhost:8080/metrics , http://localhost:9100/metrics\n')).toEqual([
      ['endpoint1', 'http://localhost:8080/metrics'],
      ['endpoint2', 'http://localhost:9100/metrics'],
    ]);
  });

  it('accepts a single URL as endpoint1', () => {
    expect(namesAndUrls('http://localhost:8080/metrics')).toEqual([
      ['endpoint1', 'http://localhost:8080/metrics'],
    ]);
  });

  it('accepts pretty-printed JSON', () => {
    expect(namesAndUrls('\n{\n  "api": "http://localhost:8080/metrics"\n}\n')).toEqual([
      ['api', 'http://localhost:8080/metrics'],
    ]);
  });

  it('scrapes /metrics when a URL has no path, like the Go metrics-aggregator', () => {
    expect(namesAndUrls('http://localhost:8080,http://localhost:9100/,https://localhost:8443/?a=1')).toEqual([
      ['endpoint1', 'http://localhost:8080/metrics'],
      ['endpoint2', 'http://localhost:9100/metrics'],
      ['endpoint3', 'https://localhost:8443/metrics?a=1'],
    ]);
  });

  it('keeps any other path and the query as given', () => {
    expect(namesAndUrls('{"app":"http://127.0.0.1:8080/actuator/prometheus?format=text"}')).toEqual([
      ['app', 'http://127.0.0.1:8080/actuator/prometheus?format=text'],
    ]);
  });

  it('accepts any printable name, since a name becomes a label value', () => {
    expect(
      namesAndUrls('{"api.v2":"http://a:1","caf\u00e9 \ud83d\ude80":"http://b:2","Worker_1":"http://c:3"}'),
    ).toEqual([
      ['api.v2', 'http://a:1/metrics'],
      ['caf\u00e9 \ud83d\ude80', 'http://b:2/metrics'],
      ['Worker_1', 'http://c:3/metrics'],
    ]);
  });

  it('keeps a "__proto__" name as a name', () => {
    expect(namesAndUrls('{"__proto__":"http://a:1"}')).toEqual([['__proto__', 'http://a:1/metrics']]);
  });

  it('applies the upstream defaults it is given', () => {
    const defaults = { timeoutMs: 2000, limits: { ...DEFAULT_UPSTREAM_DEFAULTS.limits, maxSamples: 10 } };
    const [upstream] = parseMetricsEndpoints('http://localhost:8080/metrics', defaults);

    expect(upstream.timeoutMs).toBe(2000);
    expect(upstream.limits.maxSamples).toBe(10);
  });

  it('returns frozen upstreams', () => {
    const [upstream] = parseMetricsEndpoints('http://localhost:8080/metrics');

    expect(Object.isFrozen(upstream)).toBe(true);
    expect(Object.isFrozen(upstream.limits)).toBe(true);
    expect(Object.isFrozen(upstream.headers)).toBe(true);
  });

  it('can be imported without yargs, yaml or the file system (the chart and constructs tests import it)', () => {
    jest.isolateModules(() => {
      for (const name of ['yargs', 'yargs/yargs', 'yaml', 'node:fs', 'fs']) {
        jest.doMock(name, () => {
          throw new Error(`imported ${name}`);
        });
      }
      const module = require('../src/config/metrics-endpoints');
      expect(module.parseMetricsEndpoints('http://localhost:8080/metrics')).toHaveLength(1);
    });
  });

  describe('rejects', () => {
    it.each([
      [
        'an empty value',
        ' ',
        'INVALID_VALUE',
        /^METRICS_ENDPOINTS: is empty; expected a JSON object such as/,
      ],
      ['an empty JSON object', '{}', 'INVALID_VALUE', /^METRICS_ENDPOINTS: \{\} names no upstream/],
      [
        'a JSON list',
        '["http://localhost:8080/metrics"]',
        'INVALID_TYPE',
        /^METRICS_ENDPOINTS: expected a JSON object mapping upstream names to URLs, .*, got a list$/,
      ],
    ] as const)('%s', (_, value, code, message) => {
      const error = rejection(value);

      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it('invalid JSON, showing where the parser stopped', () => {
      expect(rejection('{"api" "http://localhost:8080/metrics"}')).toEqual({
        code: 'INVALID_JSON',
        message:
          'METRICS_ENDPOINTS: invalid JSON: expected ":" after the key at column 8 (near "\\"http://localhost:80")',
      });
      expect(rejection('{"api":"http://a:1",}').message).toBe(
        'METRICS_ENDPOINTS: invalid JSON: expected a key in double quotes at column 21 (near "}")',
      );
      expect(rejection("{'api':'http://a:1'}").message).toBe(
        "METRICS_ENDPOINTS: invalid JSON: expected a key in double quotes at column 2 (near \"'api':'http://a:1'}\")",
      );
      expect(rejection('{"api":"http://a:1"').message).toBe(
        'METRICS_ENDPOINTS: invalid JSON: expected "," or "}" after a value at column 20 (end of input)',
      );
      expect(rejection('{"api":"http://a:1"}x').message).toBe(
        'METRICS_ENDPOINTS: invalid JSON: unexpected text after the end of the JSON value at column 21 (near "x")',
      );
    });

    it('a name that appears twice (JSON.parse would silently keep the last)', () => {
      expect(rejection('{"api":"http://a:1","api":"http://b:2"}')).toEqual({
        code: 'DUPLICATE_NAME',
        message: 'METRICS_ENDPOINTS: upstream name "api" appears twice',
      });
    });

    it.each([
      ['empty', '{"":"http://a:1"}', 'METRICS_ENDPOINTS: upstream name "" is empty'],
      [
        'with a control character',
        '{"a\\nb":"http://a:1"}',
        'METRICS_ENDPOINTS: upstream name "a\\nb" contains the control character U+000A; use printable characters',
      ],
      [
        'not encodable as UTF-8',
        '{"\\ud800":"http://a:1"}',
        'METRICS_ENDPOINTS: upstream name "\\ud800" is not valid UTF-8 (it holds a lone surrogate)',
      ],
      [
        'with a leading space',
        '{" api":"http://a:1"}',
        'METRICS_ENDPOINTS: upstream name " api" starts or ends with a space',
      ],
    ])('a name %s', (_, value, message) => {
      expect(rejection(value)).toEqual({ code: 'INVALID_NAME', message });
    });

    it('a URL that is not a string', () => {
      expect(rejection('{"api":8080}')).toEqual({
        code: 'INVALID_TYPE',
        message: 'METRICS_ENDPOINTS: upstream "api": expected a URL string, got 8080',
      });
    });

    it.each([
      [
        'a URL that is not http(s), naming the upstream',
        '{"api":"ftp://localhost/metrics"}',
        'METRICS_ENDPOINTS: upstream "api": "ftp://localhost/metrics" is not an http or https URL (expected e.g. http://localhost:8080/metrics)',
      ],
      [
        'a URL without a scheme, suggesting one',
        'localhost:8080/metrics',
        'METRICS_ENDPOINTS: upstream "endpoint1": "localhost:8080/metrics" is not an http or https URL (expected e.g. http://localhost:8080/metrics; add http://)',
      ],
      [
        'a URL that cannot be parsed',
        'http://localhost:8080/metrics,http://local host:9100/metrics',
        'METRICS_ENDPOINTS: upstream "endpoint2": "http://local host:9100/metrics" is not a URL (expected e.g. http://localhost:8080/metrics)',
      ],
      [
        'a URL with credentials',
        '{"api":"http://user:secret@localhost:8080/metrics"}',
        'METRICS_ENDPOINTS: upstream "api": "http://user:secret@localhost:8080/metrics" holds credentials: they would show in logs; send them as a header from the config file instead',
      ],
      [
        'a URL with a fragment',
        '{"api":"http://localhost:8080/metrics#x"}',
        'METRICS_ENDPOINTS: upstream "api": "http://localhost:8080/metrics#x" has a #fragment, which is never sent to the server; remove it',
      ],
    ])('%s', (_, value, message) => {
      expect(rejection(value)).toEqual({ code: 'INVALID_URL', message });
    });

    it.each([
      ['a stray comma', 'http://a:1,,http://b:2', 2],
      ['a trailing comma', 'http://a:1,http://b:2, ', 3],
      ['a leading comma', ',http://a:1', 1],
    ])('an empty entry in a comma-separated list (%s)', (_, value, entry) => {
      expect(rejection(value)).toEqual({
        code: 'INVALID_VALUE',
        message: `METRICS_ENDPOINTS: entry ${entry} of the comma-separated list is empty (a stray comma?)`,
      });
    });
  });
});
