import packageJson from '../package.json';
import {
  CONFIG_DEFAULTS,
  type Config,
  ConfigError,
  type ConfigErrorCode,
  ENV_PREFIX,
  helpText,
  loadConfig,
  OPTIONS,
  type OptionKey,
  parseCommandLine,
} from '../src/config';

const API = '{"api":"http://localhost:8080/metrics"}';
const ENDPOINTS = { METRICS_ENDPOINTS: API };

/** The config of a run with these flags, this environment and these files. */
function load(
  argv: string[],
  env: NodeJS.ProcessEnv = ENDPOINTS,
  files: Record<string, string> = {},
): Config {
  return loadConfig(argv, env, (path) => {
    if (path in files) return files[path];
    throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  });
}

function rejection(argv: string[], env: NodeJS.ProcessEnv = ENDPOINTS, files: Record<string, string> = {}) {
  try {
    load(argv, env, files);
  } catch (error) {
    if (error instanceof ConfigError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

const rejectionOf = (code: ConfigErrorCode, message: string) => ({ code, message });

const OPTION_KEYS = Object.keys(OPTIONS) as OptionKey[];

describe('loadConfig', () => {
  it('fills every setting with its default', () => {
    expect(load([])).toEqual({
      listen: { host: '0.0.0.0', port: 9090 },
      originLabel: 'origin_container',
      selfOrigin: 'metrics-aggregator',
      forceText: false,
      scrapeTimeoutMarginMs: 500,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      tracing: { enabled: false },
      demo: false,
      upstreamDefaults: {
        timeoutMs: 10_000,
        limits: {
          maxBodyBytes: 52_428_800,
          maxCompressedBytes: 52_428_800,
          maxSamples: 500_000,
          maxLineBytes: 1_048_576,
        },
      },
      upstreams: [
        {
          name: 'api',
          url: 'http://localhost:8080/metrics',
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
      ],
    });
  });

  it('returns a config frozen all the way down', () => {
    const config = load(['--config', '/c.yaml'], ENDPOINTS, {
      '/c.yaml':
        'upstreams:\n  web: {url: "https://a:1", headers: {X: y}, labels: {a: b}, tls: {}, keep: [x]}\n',
    });
    const web = config.upstreams[1];

    for (const part of [
      config,
      config.listen,
      config.tracing,
      config.upstreamDefaults,
      config.upstreams,
      web,
    ]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    for (const part of [web.headers, web.labels, web.labels[0], web.tls, web.keep, web.drop, web.limits]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it('reads only the environment it is given, never process.env', () => {
    process.env.METRICS_ENDPOINTS = API;
    try {
      expect(rejection([], {}).code).toBe('NO_UPSTREAMS');
    } finally {
      delete process.env.METRICS_ENDPOINTS;
    }
  });

  describe('sources', () => {
    it.each([
      [['--port', '8081'], { listen: { host: '0.0.0.0', port: 8081 } }],
      [['--port=0'], { listen: { host: '0.0.0.0', port: 0 } }],
      [['--host', '::'], { listen: { host: '::', port: 9090 } }],
      [['--origin-label', 'container'], { originLabel: 'container' }],
      [['--self-origin', 'sidecar'], { selfOrigin: 'sidecar' }],
      [['--no-self-metrics'], { selfOrigin: undefined }],
      [['--self-metrics=false'], { selfOrigin: undefined }],
      [['--force-text'], { forceText: true }],
      [['--scrape-timeout-margin', '1s'], { scrapeTimeoutMarginMs: 1000 }],
      [['--scrape-timeout-margin', '0'], { scrapeTimeoutMarginMs: 0 }],
      [['--log-level', 'warn'], { logLevel: 'warn' }],
      [['--shutdown-grace', '1m'], { shutdownGraceMs: 60_000 }],
      [['--shutdown-grace', '0s'], { shutdownGraceMs: 0 }],
      [['--tracing'], { tracing: { enabled: true } }],
      [
        ['--tracing', '--tracing-endpoint', 'http://otel:4318'],
        { tracing: { enabled: true, endpoint: 'http://otel:4318' } },
      ],
      [['--demo'], { demo: true }],
    ])('sets a global setting with the flags %j', (argv, expected) => {
      expect(load(argv)).toMatchObject(expected);
    });

    it('sets the upstream timeout and limits with flags', () => {
      const config = load([
        '--upstream-timeout=2s',
        '--max-body-bytes=10MiB',
        '--max-compressed-bytes=1MiB',
        '--max-samples=1000',
        '--max-line-bytes=4KiB',
      ]);
      const expected = {
        timeoutMs: 2000,
        limits: {
          maxBodyBytes: 10 * 2 ** 20,
          maxCompressedBytes: 2 ** 20,
          maxSamples: 1000,
          maxLineBytes: 4096,
        },
      };

      expect(config.upstreamDefaults).toEqual(expected);
      expect(config.upstreams[0]).toMatchObject(expected);
    });

    it('takes the upstreams from --metrics-endpoints', () => {
      const config = load(['--metrics-endpoints', 'http://localhost:9100/metrics'], {});

      expect(config.upstreams.map((u) => [u.name, u.url])).toEqual([
        ['endpoint1', 'http://localhost:9100/metrics'],
      ]);
    });

    it('names the environment variable of every flag METRICS_AGGREGATOR_<FLAG>', () => {
      for (const key of OPTION_KEYS) {
        expect(OPTIONS[key].env[0]).toBe(
          `${ENV_PREFIX}_${OPTIONS[key].flag.toUpperCase().replace(/-/g, '_')}`,
        );
      }
      expect(OPTIONS.port.env).toEqual(['METRICS_AGGREGATOR_PORT']);
    });

    it('sets every setting with its METRICS_AGGREGATOR_ variable', () => {
      const config = load([], {
        METRICS_AGGREGATOR_METRICS_ENDPOINTS: '{"web":"http://localhost:3000"}',
        METRICS_AGGREGATOR_PORT: '8081',
        METRICS_AGGREGATOR_HOST: '127.0.0.1',
        METRICS_AGGREGATOR_ORIGIN_LABEL: 'container',
        METRICS_AGGREGATOR_SELF_ORIGIN: 'sidecar',
        METRICS_AGGREGATOR_FORCE_TEXT: 'true',
        METRICS_AGGREGATOR_UPSTREAM_TIMEOUT: '3s',
        METRICS_AGGREGATOR_SCRAPE_TIMEOUT_MARGIN: '100ms',
        METRICS_AGGREGATOR_MAX_BODY_BYTES: '2MiB',
        METRICS_AGGREGATOR_MAX_COMPRESSED_BYTES: '1MiB',
        METRICS_AGGREGATOR_MAX_SAMPLES: '10',
        METRICS_AGGREGATOR_MAX_LINE_BYTES: '1024',
        METRICS_AGGREGATOR_LOG_LEVEL: 'error',
        METRICS_AGGREGATOR_SHUTDOWN_GRACE: '5s',
        METRICS_AGGREGATOR_TRACING: '1',
        METRICS_AGGREGATOR_TRACING_ENDPOINT: 'https://otel:4318',
        METRICS_AGGREGATOR_DEMO: 'TRUE',
      });

      expect(config).toEqual({
        listen: { host: '127.0.0.1', port: 8081 },
        originLabel: 'container',
        selfOrigin: 'sidecar',
        forceText: true,
        scrapeTimeoutMarginMs: 100,
        shutdownGraceMs: 5000,
        logLevel: 'error',
        tracing: { enabled: true, endpoint: 'https://otel:4318' },
        demo: true,
        upstreamDefaults: {
          timeoutMs: 3000,
          limits: {
            maxBodyBytes: 2 * 2 ** 20,
            maxCompressedBytes: 2 ** 20,
            maxSamples: 10,
            maxLineBytes: 1024,
          },
        },
        upstreams: [
          expect.objectContaining({ name: 'web', url: 'http://localhost:3000/metrics', timeoutMs: 3000 }),
        ],
      });
    });

    it('turns the own metrics off with METRICS_AGGREGATOR_SELF_METRICS=false', () => {
      expect(load([], { ...ENDPOINTS, METRICS_AGGREGATOR_SELF_METRICS: 'false' }).selfOrigin).toBeUndefined();
    });

    it('reads the config file named by METRICS_AGGREGATOR_CONFIG', () => {
      const config = load(
        [],
        { METRICS_AGGREGATOR_CONFIG: '/c.yaml' },
        { '/c.yaml': 'upstreams: {web: "http://a:1"}' },
      );

      expect(config.upstreams.map((u) => u.name)).toEqual(['web']);
    });

    it('accepts the legacy names METRICS_ENDPOINTS and LOG_LEVEL of the Go metrics-aggregator', () => {
      const config = load([], { METRICS_ENDPOINTS: API, LOG_LEVEL: 'debug' });

      expect(config.upstreams.map((u) => u.name)).toEqual(['api']);
      expect(config.logLevel).toBe('debug');
    });

    it('prefers the METRICS_AGGREGATOR_ names to the legacy ones', () => {
      const config = load([], {
        METRICS_ENDPOINTS: API,
        METRICS_AGGREGATOR_METRICS_ENDPOINTS: '{"web":"http://a:1"}',
        LOG_LEVEL: 'debug',
        METRICS_AGGREGATOR_LOG_LEVEL: 'warn',
      });

      expect(config.upstreams.map((u) => u.name)).toEqual(['web']);
      expect(config.logLevel).toBe('warn');
    });

    it.each([
      ['DEBUG', 'debug'],
      ['Info', 'info'],
      ['warning', 'warn'],
      ['trace', 'debug'],
      ['fatal', 'error'],
      ['panic', 'error'],
    ])('reads LOG_LEVEL=%s (any case, zerolog names included) as %s', (value, level) => {
      expect(load([], { ...ENDPOINTS, LOG_LEVEL: value }).logLevel).toBe(level);
    });

    it('treats an empty variable as unset', () => {
      const config = load([], {
        ...ENDPOINTS,
        METRICS_AGGREGATOR_PORT: '',
        METRICS_AGGREGATOR_LOG_LEVEL: ' ',
        LOG_LEVEL: 'warn',
      });

      expect(config.listen.port).toBe(9090);
      expect(config.logLevel).toBe('warn');
    });

    it('ignores the METRICS_AGGREGATOR_PORT that Kubernetes service links inject', () => {
      expect(load([], { ...ENDPOINTS, METRICS_AGGREGATOR_PORT: 'tcp://10.96.0.12:9090' }).listen.port).toBe(
        9090,
      );
    });

    it('merges the upstreams of METRICS_ENDPOINTS and of the file, METRICS_ENDPOINTS first', () => {
      const config = load(
        ['--config', '/c.yaml'],
        { METRICS_ENDPOINTS: 'http://a:1,http://b:2' },
        {
          '/c.yaml': 'upstreams:\n  web: http://c:3\n  db: http://d:4\n',
        },
      );

      expect(config.upstreams.map((u) => u.name)).toEqual(['endpoint1', 'endpoint2', 'web', 'db']);
    });

    it('runs with the demo upstreams alone', () => {
      const config = load(['--demo'], {});

      expect(config.demo).toBe(true);
      expect(config.upstreams).toEqual([]);
    });
  });

  describe('precedence', () => {
    const file = { '/c.yaml': 'port: 1111\nlogLevel: debug\nforceText: true\nupstreamTimeout: 7s\n' };

    it('takes a setting from the file when neither a variable nor a flag sets it', () => {
      expect(load(['--config', '/c.yaml'], ENDPOINTS, file)).toMatchObject({
        listen: { port: 1111 },
        logLevel: 'debug',
        forceText: true,
      });
    });

    it('prefers a variable to the file', () => {
      const env = { ...ENDPOINTS, METRICS_AGGREGATOR_PORT: '2222', METRICS_AGGREGATOR_FORCE_TEXT: 'false' };

      expect(load(['--config', '/c.yaml'], env, file)).toMatchObject({
        listen: { port: 2222 },
        forceText: false,
      });
    });

    it('prefers a flag to a variable and to the file', () => {
      const env = { ...ENDPOINTS, METRICS_AGGREGATOR_PORT: '2222' };
      const config = load(['--config', '/c.yaml', '--port', '3333', '--no-force-text'], env, file);

      expect(config).toMatchObject({ listen: { port: 3333 }, forceText: false, logLevel: 'debug' });
    });

    it('prefers --metrics-endpoints to METRICS_ENDPOINTS', () => {
      const config = load(['--metrics-endpoints', '{"web":"http://a:1"}'], ENDPOINTS);

      expect(config.upstreams.map((u) => u.name)).toEqual(['web']);
    });

    it('prefers --config to METRICS_AGGREGATOR_CONFIG', () => {
      const files = { '/a.yaml': 'port: 1\n', '/b.yaml': 'port: 2\n' };

      expect(
        load(['--config', '/b.yaml'], { ...ENDPOINTS, METRICS_AGGREGATOR_CONFIG: '/a.yaml' }, files).listen
          .port,
      ).toBe(2);
    });

    it("prefers an upstream's own settings to the global ones, which apply to the others", () => {
      const config = load(
        ['--config', '/c.yaml', '--upstream-timeout', '3s', '--max-samples', '50'],
        ENDPOINTS,
        {
          '/c.yaml': 'upstreams:\n  web: {url: "http://a:1", timeout: 1s, maxSamples: 5}\n',
        },
      );

      expect(config.upstreams.map((u) => [u.name, u.timeoutMs, u.limits.maxSamples])).toEqual([
        ['api', 3000, 50],
        ['web', 1000, 5],
      ]);
    });

    it('defaults --max-compressed-bytes to --max-body-bytes', () => {
      const limits = load(['--max-body-bytes', '8MiB']).upstreams[0].limits;

      expect(limits.maxCompressedBytes).toBe(8 * 2 ** 20);
    });

    it('lets --no-self-metrics win over a self origin', () => {
      expect(load(['--self-origin', 'x', '--no-self-metrics']).selfOrigin).toBeUndefined();
    });

    it('takes the last of a repeated flag', () => {
      expect(load(['--port', '1', '--port', '2']).listen.port).toBe(2);
    });
  });

  describe('value formats', () => {
    it.each([
      ['500ms', 500],
      ['5s', 5000],
      ['0.5s', 500],
      ['1m', 60_000],
      ['1m30s', 90_000],
      ['2h', 7_200_000],
      ['1.5', 1500],
      [' 10s ', 10_000],
    ])('reads the duration %j as %d ms', (text, ms) => {
      expect(load(['--upstream-timeout', text]).upstreamDefaults.timeoutMs).toBe(ms);
    });

    it.each([
      ['1048576', 1_048_576],
      ['512KiB', 512 * 1024],
      ['10MiB', 10 * 2 ** 20],
      ['50Mi', 50 * 2 ** 20],
      ['1GiB', 2 ** 30],
      ['10MB', 10_000_000],
      ['1gb', 1_000_000_000],
      ['1.5MiB', 1.5 * 2 ** 20],
      ['64 KiB', 64 * 1024],
    ])('reads the size %j as %d bytes', (text, bytes) => {
      expect(load(['--max-body-bytes', text]).upstreamDefaults.limits.maxBodyBytes).toBe(bytes);
    });
  });

  describe('rejects', () => {
    it('an unknown flag, suggesting the likely one', () => {
      expect(rejection(['--prot', '8080'])).toEqual(
        rejectionOf('UNKNOWN_ARGUMENT', 'unknown flag --prot (did you mean --port?); see --help'),
      );
      expect(rejection(['--max-body-byte=1']).message).toBe(
        'unknown flag --max-body-byte (did you mean --max-body-bytes?); see --help',
      );
      expect(rejection(['-p', '1']).message).toBe('unknown flag -p; see --help');
    });

    it('an argument that is not a flag', () => {
      expect(rejection(['http://localhost:8080/metrics'])).toEqual(
        rejectionOf(
          'UNKNOWN_ARGUMENT',
          'unexpected argument "http://localhost:8080/metrics": every setting is a flag, e.g. --port 9090; see --help',
        ),
      );
    });

    it('a switch given a value other than true or false', () => {
      expect(rejection(['--force-text=yes'])).toEqual(
        rejectionOf('UNKNOWN_ARGUMENT', '--force-text=yes: a switch takes true or false, got "yes"'),
      );
    });

    it.each([
      [['--port', '70000'], '--port: "70000" is not a port number (0-65535)'],
      [['--port=-1'], '--port: "-1" is not a port number (0-65535)'],
      [['--port', '80a'], '--port: "80a" is not a port number (0-65535)'],
      [['--port='], '--port: "" is not a port number (0-65535)'],
      [['--port'], '--port: "" is not a port number (0-65535)'],
      [
        ['--host', 'not a host'],
        '--host: "not a host" is not an IP address or a host name (examples: 0.0.0.0, ::, 127.0.0.1)',
      ],
      [
        ['--upstream-timeout', '5 seconds'],
        '--upstream-timeout: "5 seconds" is not a duration (examples: 500ms, 5s, 1m)',
      ],
      [['--upstream-timeout', '0'], '--upstream-timeout: "0" is too short: it must be at least 1ms'],
      [
        ['--scrape-timeout-margin=-1s'],
        '--scrape-timeout-margin: "-1s" is not a duration (examples: 500ms, 5s, 1m)',
      ],
      [
        ['--max-body-bytes', '10XB'],
        '--max-body-bytes: "10XB" is not a size in bytes (examples: 1048576, 512KiB, 10MiB, 50Mi, 1GB)',
      ],
      [
        ['--max-line-bytes', '0'],
        '--max-line-bytes: "0" is not a size in bytes (examples: 1048576, 512KiB, 10MiB, 50Mi, 1GB)',
      ],
      [['--max-samples', '1e6'], '--max-samples: "1e6" is not a whole number of at least 1'],
      [['--log-level', 'verbose'], '--log-level: "verbose" is not a log level (debug, info, warn, error)'],
      [
        ['--tracing-endpoint', 'otel:4318'],
        '--tracing-endpoint: "otel:4318" is not an http or https URL (e.g. http://otel-collector:4318)',
      ],
      [['--config', ''], '--config: expected the path of a YAML or JSON file, got an empty string'],
      [
        ['--metrics-endpoints='],
        '--metrics-endpoints: expected a JSON object of upstream names to URLs, or URLs, got an empty string',
      ],
    ])('an invalid value: %j', (argv, message) => {
      const error = rejection(argv);

      expect(error.message).toBe(message);
      expect(['INVALID_VALUE', 'INVALID_URL']).toContain(error.code);
    });

    it('an invalid value in a variable, naming the variable', () => {
      expect(rejection([], { ...ENDPOINTS, METRICS_AGGREGATOR_PORT: 'http' })).toEqual(
        rejectionOf('INVALID_VALUE', 'METRICS_AGGREGATOR_PORT: "http" is not a port number (0-65535)'),
      );
      expect(rejection([], { ...ENDPOINTS, METRICS_AGGREGATOR_FORCE_TEXT: 'yes' })).toEqual(
        rejectionOf('INVALID_VALUE', 'METRICS_AGGREGATOR_FORCE_TEXT: "yes" is not a boolean (true or false)'),
      );
      expect(rejection([], { ...ENDPOINTS, LOG_LEVEL: 'loud' })).toEqual(
        rejectionOf('INVALID_VALUE', 'LOG_LEVEL: "loud" is not a log level (debug, info, warn, error)'),
      );
    });

    it('METRICS_ENDPOINTS given by a flag, naming the flag', () => {
      expect(rejection(['--metrics-endpoints', '{"api":1}'], {})).toEqual(
        rejectionOf('INVALID_TYPE', '--metrics-endpoints: upstream "api": expected a URL string, got 1'),
      );
    });

    it('the first invalid setting, in --help order', () => {
      expect(rejection(['--log-level', 'loud', '--port', 'x']).message).toBe(
        '--port: "x" is not a port number (0-65535)',
      );
    });

    it.each([
      ['not a valid label name', 'origin-container', 'is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
      ['starting with a digit', '1origin', 'is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
      ['starting with __', '__origin', 'is reserved: names starting with "__" belong to Prometheus'],
      ['used by histograms', 'le', 'is reserved for histogram and summary series'],
      ['used by summaries', 'quantile', 'is reserved for histogram and summary series'],
    ])('an origin label %s', (_, name, problem) => {
      expect(rejection(['--origin-label', name])).toEqual(
        rejectionOf('INVALID_LABEL', `--origin-label: ${JSON.stringify(name)} ${problem}`),
      );
    });

    it('an empty self origin, pointing to --no-self-metrics', () => {
      expect(rejection(['--self-origin='])).toEqual(
        rejectionOf(
          'INVALID_NAME',
          '--self-origin: "" is empty (to omit the own metrics, use --no-self-metrics)',
        ),
      );
    });

    it('a self origin equal to an upstream name', () => {
      expect(rejection(['--self-origin', 'api'])).toEqual(
        rejectionOf(
          'DUPLICATE_NAME',
          '--self-origin: "api" is also the name of an upstream (METRICS_ENDPOINTS); choose another self origin or use --no-self-metrics',
        ),
      );
    });

    it('an upstream named like the default self origin', () => {
      expect(rejection([], { METRICS_ENDPOINTS: '{"metrics-aggregator":"http://a:1"}' })).toEqual(
        rejectionOf(
          'DUPLICATE_NAME',
          'METRICS_ENDPOINTS: upstream name "metrics-aggregator" is the origin of the aggregator\'s own metrics (the default of --self-origin); rename the upstream, set --self-origin, or use --no-self-metrics',
        ),
      );
      expect(
        load(['--no-self-metrics'], { METRICS_ENDPOINTS: '{"metrics-aggregator":"http://a:1"}' }).upstreams,
      ).toHaveLength(1);
    });

    it('an upstream name defined both in METRICS_ENDPOINTS and in the file', () => {
      expect(
        rejection(['--config', '/c.yaml'], ENDPOINTS, { '/c.yaml': 'upstreams:\n  api: http://b:2\n' }),
      ).toEqual(
        rejectionOf(
          'DUPLICATE_NAME',
          'upstream name "api" is defined both in METRICS_ENDPOINTS and in config file /c.yaml: upstreams.api; keep one',
        ),
      );
    });

    it('a configuration without any upstream, unless --demo', () => {
      expect(rejection([], {})).toEqual(
        rejectionOf(
          'NO_UPSTREAMS',
          'no upstream to scrape: set METRICS_ENDPOINTS (e.g. {"api":"http://localhost:8080/metrics"}), give --config a file with "upstreams:", or run with --demo',
        ),
      );
      expect(rejection(['--config', '/c.yaml'], {}, { '/c.yaml': 'port: 1\n' }).code).toBe('NO_UPSTREAMS');
    });

    it('a config file that cannot be read', () => {
      expect(rejection(['--config', '/nope.yaml'])).toEqual(
        rejectionOf(
          'INVALID_FILE',
          "config file /nope.yaml: cannot be read: ENOENT: no such file or directory, open '/nope.yaml'",
        ),
      );
    });
  });
});

describe('parseCommandLine', () => {
  it('returns the config of a run', () => {
    expect(parseCommandLine([], ENDPOINTS)).toEqual({ kind: 'run', config: load([]) });
  });

  it('returns the help text for --help and -h, whatever else is wrong', () => {
    const help = parseCommandLine(['--help', '--bogus'], {});

    expect(help).toEqual({ kind: 'help', text: helpText() });
    expect(parseCommandLine(['-h'], {})).toEqual(help);
  });

  it('documents every flag with its environment variables and its default in --help', () => {
    const text = helpText().replace(/\s+/g, ' ');

    for (const key of OPTION_KEYS) {
      const option = OPTIONS[key];
      expect(text).toContain(`--${option.flag} `);
      expect(text).toContain(`[env: ${option.env.join(' or ')}]`);
      if (option.defaultText !== undefined) expect(text).toContain(`[default: ${option.defaultText}]`);
    }
    expect(text).toContain('[env: METRICS_AGGREGATOR_LOG_LEVEL or LOG_LEVEL]');
    expect(text).toContain('[env: METRICS_AGGREGATOR_METRICS_ENDPOINTS or METRICS_ENDPOINTS]');
    expect(text).toContain('--no-self-metrics');
  });

  it('shows the built-in defaults in --help', () => {
    const text = helpText().replace(/\s+/g, ' ');

    expect(text).toContain(`[default: ${CONFIG_DEFAULTS.port}]`);
    for (const shown of [
      '10s',
      '500ms',
      '50MiB',
      '1MiB',
      '500000',
      'origin_container',
      'metrics-aggregator',
      '0.0.0.0',
    ]) {
      expect(text).toContain(`[default: ${shown}]`);
    }
  });

  it('returns the package version for --version', () => {
    expect(parseCommandLine(['--version'], {})).toEqual({ kind: 'version', text: packageJson.version });
  });

  it('makes loadConfig refuse --help and --version, which configure nothing', () => {
    expect(rejection(['--version'])).toEqual(
      rejectionOf('NOT_A_RUN', '--version prints text and configures nothing; use parseCommandLine'),
    );
  });
});
