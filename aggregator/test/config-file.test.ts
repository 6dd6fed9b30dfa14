import { join } from 'node:path';
import { type Config, ConfigError, type ConfigErrorCode, loadConfig } from '../src/config';

const FIXTURES = join(__dirname, 'fixtures', 'config');

/** The config of a run given only a config file /etc/x.yaml holding `text`. */
function withFile(text: string, env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig(['--config', '/etc/x.yaml'], env, (path) => {
    if (path !== '/etc/x.yaml') throw new Error(`unexpected read of ${path}`);
    return text;
  });
}

function rejection(text: string): { code: ConfigErrorCode; message: string } {
  try {
    withFile(text);
  } catch (error) {
    if (error instanceof ConfigError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`accepted ${text}`);
}

const upstream = (yaml: string) =>
  withFile(`upstreams:\n  api:\n${yaml.replace(/^/gm, '    ')}`).upstreams[0];

describe('config file', () => {
  it('reads every option from a YAML file', () => {
    const config = loadConfig(['--config', join(FIXTURES, 'full.yaml')], {});

    expect(config).toEqual({
      listen: { host: '127.0.0.1', port: 9191 },
      originLabel: 'container',
      selfOrigin: 'aggregator',
      forceText: true,
      scrapeTimeoutMarginMs: 250,
      shutdownGraceMs: 30_000,
      logLevel: 'debug',
      tracing: { enabled: true, endpoint: 'http://otel-collector:4318' },
      demo: false,
      upstreamDefaults: {
        timeoutMs: 3000,
        limits: {
          maxBodyBytes: 20 * 2 ** 20,
          maxCompressedBytes: 5 * 2 ** 20,
          maxSamples: 100_000,
          maxLineBytes: 64 * 2 ** 10,
        },
      },
      upstreams: [
        {
          name: 'api',
          url: 'https://localhost:8443/metrics',
          timeoutMs: 5000,
          headers: { 'X-Token': 'abc' },
          bearerTokenFile: '/var/run/secrets/token',
          tls: { caFile: '/etc/ca.pem', serverName: 'api.local', insecureSkipVerify: false },
          labels: [
            { name: 'team', value: 'payments' },
            { name: 'tier', value: 'backend' },
          ],
          keep: [/^http_.*/, /^process_/],
          drop: [/^go_gc_.*/],
          limits: {
            maxBodyBytes: 2 ** 20,
            maxCompressedBytes: 5 * 2 ** 20,
            maxSamples: 1000,
            maxLineBytes: 64 * 2 ** 10,
          },
        },
        {
          name: 'worker',
          url: 'http://localhost:9100/metrics',
          timeoutMs: 3000,
          headers: {},
          labels: [],
          keep: [],
          drop: [],
          limits: {
            maxBodyBytes: 20 * 2 ** 20,
            maxCompressedBytes: 5 * 2 ** 20,
            maxSamples: 100_000,
            maxLineBytes: 64 * 2 ** 10,
          },
        },
      ],
    });
  });

  it('reads a JSON file, recognised by its content, to the same config', () => {
    const fromJson = loadConfig(['--config', join(FIXTURES, 'full.json')], {});
    const fromYaml = loadConfig(['--config', join(FIXTURES, 'full.yaml')], {});

    expect(fromJson).toEqual(fromYaml);
  });

  it('is also named by METRICS_AGGREGATOR_CONFIG', () => {
    const config = loadConfig([], { METRICS_AGGREGATOR_CONFIG: join(FIXTURES, 'full.yaml') });

    expect(config.upstreams.map((u) => u.name)).toEqual(['api', 'worker']);
  });

  it('accepts a bare URL as an upstream', () => {
    expect(withFile('upstreams:\n  api: http://localhost:8080\n').upstreams[0]).toMatchObject({
      name: 'api',
      url: 'http://localhost:8080/metrics',
    });
  });

  it('reads a timeout as a duration string or a number of seconds', () => {
    expect(upstream('url: http://a:1\ntimeout: 1500ms').timeoutMs).toBe(1500);
    expect(upstream('url: http://a:1\ntimeout: 2.5').timeoutMs).toBe(2500);
    expect(upstream('url: http://a:1\ntimeout: 1m').timeoutMs).toBe(60_000);
  });

  it('defaults insecureSkipVerify to false', () => {
    expect(upstream('url: https://a:1\ntls: {serverName: api.local}').tls).toEqual({
      serverName: 'api.local',
      insecureSkipVerify: false,
    });
  });

  it('treats an empty keep list as keeping everything', () => {
    expect(upstream('url: http://a:1\nkeep: []').keep).toEqual([]);
  });

  it('keeps the file order of upstreams and labels', () => {
    const config = withFile(
      'upstreams:\n  zeta: http://a:1\n  alpha:\n    url: http://b:2\n    labels: {z: "1", a: "2"}\n',
    );

    expect(config.upstreams.map((u) => u.name)).toEqual(['zeta', 'alpha']);
    expect(config.upstreams[1].labels.map((l) => l.name)).toEqual(['z', 'a']);
  });

  it('accepts a byte order mark, comments and YAML anchors', () => {
    const config = withFile(
      '\uFEFF# the pod\nupstreams:\n  api: &common\n    url: http://a:1\n    timeout: 2s\n  copy:\n    <<: *common\n',
    );

    expect(config.upstreams[1]).toMatchObject({ name: 'copy', url: 'http://a:1/metrics', timeoutMs: 2000 });
  });

  describe('rejects', () => {
    it('an unknown key, naming its path and the likely intended key', () => {
      expect(() => loadConfig(['--config', join(FIXTURES, 'typo.yaml')], {})).toThrow(
        `config file ${join(FIXTURES, 'typo.yaml')}: upstreams.api.tiemout: unknown key (did you mean "timeout"?)`,
      );
    });

    it.each([
      ['at the top level', 'prot: 9090\n', 'prot: unknown key (did you mean "port"?)'],
      ['at the top level, without a likely match', 'colour: red\n', 'colour: unknown key'],
      [
        'under tls',
        'upstreams:\n  api: {url: "https://a:1", tls: {ca: /x}}\n',
        'upstreams.api.tls.ca: unknown key (did you mean "caFile"?)',
      ],
      [
        'metricsEndpoints, which is not a file setting',
        'metricsEndpoints: http://a:1\n',
        'metricsEndpoints: unknown key (METRICS_ENDPOINTS is an environment variable; list upstreams under "upstreams:" instead)',
      ],
      [
        'in an upstream with a name that is not an identifier',
        'upstreams:\n  "my.api": {url: "http://a:1", urls: x}\n',
        'upstreams["my.api"].urls: unknown key (did you mean "url"?)',
      ],
    ])('an unknown key %s', (_, text, message) => {
      expect(rejection(text)).toEqual({
        code: 'UNKNOWN_KEY',
        message: `config file /etc/x.yaml: ${message}`,
      });
    });

    it('a duration that is not one, with examples', () => {
      expect(rejection('upstreams:\n  api: {url: "http://a:1", timeout: 5 seconds}\n')).toEqual({
        code: 'INVALID_VALUE',
        message:
          'config file /etc/x.yaml: upstreams.api.timeout: "5 seconds" is not a duration (examples: 500ms, 5s, 1m)',
      });
    });

    it.each([
      ['a zero timeout', 'timeout: 0s', '.timeout: "0s" is too short: it must be at least 1ms'],
      ['a negative timeout', 'timeout: -1', '.timeout: -1 is not a duration (examples: 500ms, 5s, 1m)'],
      [
        'a size that is not one',
        'maxBodyBytes: 10 megs',
        '.maxBodyBytes: "10 megs" is not a size in bytes (examples: 1048576, 512KiB, 10MiB, 50Mi, 1GB)',
      ],
      ['a sample limit of 0', 'maxSamples: 0', '.maxSamples: 0 is not a whole number of at least 1'],
      [
        'an empty label value',
        'labels: {team: ""}',
        '.labels.team: an empty value means no label in Prometheus; remove the entry',
      ],
      [
        'an invalid header name',
        'headers: {"X Token": abc}',
        '.headers["X Token"]: "X Token" is not a valid HTTP header name',
      ],
      [
        'a header value with a line break',
        'headers: {X-Token: "a\\nb"}',
        '.headers.X-Token: the value contains a control character',
      ],
      [
        'a bearer token file with an Authorization header',
        'bearerTokenFile: /t\nheaders: {authorization: Bearer x}',
        ': bearerTokenFile and headers.authorization both set the Authorization header; keep one',
      ],
      [
        'an empty bearer token file',
        'bearerTokenFile: ""',
        '.bearerTokenFile: expected a file path, got an empty string',
      ],
    ])('%s', (_, yaml, message) => {
      expect(rejection(`upstreams:\n  api:\n    url: http://a:1\n${yaml.replace(/^/gm, '    ')}\n`)).toEqual({
        code: 'INVALID_VALUE',
        message: `config file /etc/x.yaml: upstreams.api${message}`,
      });
    });

    it.each([
      [
        'upstreams as a list',
        'upstreams:\n  - http://a:1\n',
        'upstreams: expected a mapping of upstream names to their settings (api: {url: http://localhost:8080/metrics}), got a list',
      ],
      [
        'an upstream without settings',
        'upstreams:\n  api:\n',
        'upstreams.api: expected a URL or a mapping with url:, got null',
      ],
      [
        'a URL that is a number',
        'upstreams:\n  api: {url: 8080}\n',
        'upstreams.api.url: expected a URL string, got 8080',
      ],
      [
        'headers as a list',
        'upstreams:\n  api: {url: "http://a:1", headers: [a]}\n',
        'upstreams.api.headers: expected a mapping of header names to values, got a list',
      ],
      [
        'a header value that is a number, suggesting quotes',
        'upstreams:\n  api: {url: "http://a:1", headers: {X-Count: 5}}\n',
        'upstreams.api.headers.X-Count: expected a string (quote it: "5"), got 5',
      ],
      [
        'a label value that is a number, suggesting quotes',
        'upstreams:\n  api: {url: "http://a:1", labels: {version: 2}}\n',
        'upstreams.api.labels.version: expected a string (quote it: "2"), got 2',
      ],
      [
        'a keep pattern that is not in a list',
        'upstreams:\n  api: {url: "http://a:1", keep: "^http_"}\n',
        'upstreams.api.keep: expected a list of regular expressions (write a list: ["^http_"]), got "^http_"',
      ],
      [
        'a drop pattern that is not a string',
        'upstreams:\n  api: {url: "http://a:1", drop: [1]}\n',
        'upstreams.api.drop[0]: expected a regular expression string, got 1',
      ],
      [
        'tls that is not a mapping',
        'upstreams:\n  api: {url: "https://a:1", tls: true}\n',
        'upstreams.api.tls: expected a mapping (caFile, serverName, insecureSkipVerify), got true',
      ],
      [
        'insecureSkipVerify that is not a boolean',
        'upstreams:\n  api: {url: "https://a:1", tls: {insecureSkipVerify: yes}}\n',
        'upstreams.api.tls.insecureSkipVerify: "yes" is not a boolean (true or false)',
      ],
      ['a port that is a string', 'port: nine\n', 'port: "nine" is not a port number (0-65535)'],
      ['a switch that is a string', 'forceText: "on"\n', 'forceText: "on" is not a boolean (true or false)'],
      [
        'a log level that is a list',
        'logLevel: [info]\n',
        'logLevel: expected a log level (debug, info, warn, error), got a list',
      ],
    ])('a wrong type: %s', (_, text, message) => {
      const error = rejection(text);

      expect(error.message).toBe(`config file /etc/x.yaml: ${message}`);
      expect(['INVALID_TYPE', 'INVALID_VALUE']).toContain(error.code);
    });

    it('an invalid regular expression, with the engine message', () => {
      expect(rejection('upstreams:\n  api: {url: "http://a:1", drop: ["^go_", "go_(gc"]}\n')).toEqual({
        code: 'INVALID_REGEX',
        message:
          'config file /etc/x.yaml: upstreams.api.drop[1]: "go_(gc" is not a valid regular expression: Invalid regular expression: /go_(gc/: Unterminated group',
      });
    });

    it('TLS options on an http URL', () => {
      expect(
        rejection('upstreams:\n  api: {url: "http://a:1/metrics", tls: {insecureSkipVerify: true}}\n'),
      ).toEqual({
        code: 'INVALID_URL',
        message:
          'config file /etc/x.yaml: upstreams.api.tls: TLS options apply only to https URLs, and url is http://a:1/metrics',
      });
    });

    it('a bare URL that is not http(s), naming the upstream', () => {
      expect(rejection('upstreams:\n  api: localhost:8080\n').message).toBe(
        'config file /etc/x.yaml: upstreams.api: "localhost:8080" is not an http or https URL (expected e.g. http://localhost:8080/metrics; add http://)',
      );
    });

    it('an upstream without url', () => {
      expect(rejection('upstreams:\n  api: {timeout: 5s}\n')).toEqual({
        code: 'INVALID_URL',
        message: 'config file /etc/x.yaml: upstreams.api: url is missing',
      });
    });

    it('a URL that is not http(s), naming the upstream', () => {
      expect(rejection('upstreams:\n  api: {url: "unix:///run/app.sock"}\n')).toEqual({
        code: 'INVALID_URL',
        message:
          'config file /etc/x.yaml: upstreams.api.url: "unix:///run/app.sock" is not an http or https URL (expected e.g. http://localhost:8080/metrics)',
      });
    });

    it.each([
      ['not valid as a label name', 'team-name', 'is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
      ['reserved by Prometheus', '__name__', 'is reserved: names starting with "__" belong to Prometheus'],
      ['reserved by histograms', 'le', 'is reserved for histogram and summary series'],
    ])('a static label name %s', (_, name, problem) => {
      expect(rejection(`upstreams:\n  api: {url: "http://a:1", labels: {${name}: x}}\n`)).toEqual({
        code: 'INVALID_LABEL',
        message: `config file /etc/x.yaml: upstreams.api.labels.${name}: "${name}" ${problem}`,
      });
    });

    it('a static label named like the default origin label', () => {
      expect(rejection('upstreams:\n  api: {url: "http://a:1", labels: {origin_container: x}}\n')).toEqual({
        code: 'INVALID_LABEL',
        message:
          'config file /etc/x.yaml: upstreams.api.labels.origin_container: is the origin label (the default of --origin-label), which the aggregator adds itself; choose another label name',
      });
    });

    it('a static label named like an origin label set elsewhere', () => {
      expect(() =>
        withFile('upstreams:\n  api: {url: "http://a:1", labels: {container: x}}\n', {
          METRICS_AGGREGATOR_ORIGIN_LABEL: 'container',
        }),
      ).toThrow(
        'config file /etc/x.yaml: upstreams.api.labels.container: is the origin label (set by METRICS_AGGREGATOR_ORIGIN_LABEL), which the aggregator adds itself; choose another label name',
      );
    });

    it('an upstream name that cannot be a label value', () => {
      expect(rejection('upstreams:\n  "a\\tb": http://a:1\n')).toEqual({
        code: 'INVALID_NAME',
        message:
          'config file /etc/x.yaml: upstreams: upstream name "a\\tb" contains the control character U+0009; use printable characters',
      });
    });

    it('an upstream name that appears twice in YAML, with its line', () => {
      expect(rejection('upstreams:\n  api: http://a:1\n  api: http://b:2\n')).toEqual({
        code: 'DUPLICATE_NAME',
        message: 'config file /etc/x.yaml: upstreams: upstream name "api" appears twice (line 3, column 3)',
      });
    });

    it('an upstream name that appears twice in JSON, with its line', () => {
      expect(rejection('{"upstreams": {\n  "api": "http://a:1",\n  "api": "http://b:2"}}')).toEqual({
        code: 'DUPLICATE_NAME',
        message:
          'config file /etc/x.yaml: upstreams: upstream name "api" appears twice (line 3, column 3 (near "\\"api\\": \\"http://b:2\\"}"))',
      });
    });

    it('any other key that appears twice', () => {
      expect(rejection('port: 1\nport: 2\n')).toEqual({
        code: 'INVALID_FILE',
        message: 'config file /etc/x.yaml: key "port" appears twice (line 2, column 1)',
      });
      expect(rejection('upstreams:\n  api:\n    url: http://a:1\n    url: http://b:2\n').message).toBe(
        'config file /etc/x.yaml: upstreams.api: key "url" appears twice (line 4, column 5)',
      );
    });

    it('invalid JSON, showing where the parser stopped', () => {
      expect(rejection('{\n  "port": 9090\n  "host": "::"\n}\n')).toEqual({
        code: 'INVALID_JSON',
        message:
          'config file /etc/x.yaml: invalid JSON: expected "," or "}" after a value at line 3, column 3 (near "\\"host\\": \\"::\\"\\n}\\n")',
      });
    });

    it('invalid YAML, showing where the parser stopped', () => {
      expect(rejection('upstreams:\n  api:\n    url: http://a:1\n   timeout: 5s\n')).toEqual({
        code: 'INVALID_FILE',
        message:
          'config file /etc/x.yaml: invalid YAML: All mapping items must start at the same column at line 4, column 1',
      });
    });

    it('YAML 1.1 tags, which have no meaning here', () => {
      expect(rejection('upstreams:\n  api: !!binary aHR0cDovL2E6MQ==\n')).toEqual({
        code: 'INVALID_FILE',
        message:
          'config file /etc/x.yaml: invalid YAML: Unresolved tag: tag:yaml.org,2002:binary at line 2, column 8',
      });
    });

    it('several YAML documents', () => {
      expect(rejection('port: 1\n---\nport: 2\n').message).toMatch(
        /^config file \/etc\/x\.yaml: invalid YAML: Source contains multiple documents/,
      );
    });

    it.each([
      ['empty', ''],
      ['only comments', '# nothing yet\n'],
    ])('a file that is %s', (_, text) => {
      expect(rejection(text)).toEqual({
        code: 'INVALID_FILE',
        message:
          'config file /etc/x.yaml: is empty; expected a mapping such as "upstreams: {api: http://localhost:8080/metrics}"',
      });
    });

    it('a file that is not a mapping', () => {
      expect(rejection('- http://a:1\n')).toEqual({
        code: 'INVALID_FILE',
        message: 'config file /etc/x.yaml: expected a mapping at the top level, got a list',
      });
    });

    it('a file that cannot be read', () => {
      const missing = join(FIXTURES, 'missing.yaml');

      expect(() => loadConfig(['--config', missing], {})).toThrow(
        new ConfigError(
          'INVALID_FILE',
          `config file ${missing}: cannot be read: ENOENT: no such file or directory, open '${missing}'`,
        ),
      );
    });
  });
});
