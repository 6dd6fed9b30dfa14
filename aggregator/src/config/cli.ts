// The command line: builds the Config from the flags, the environment and the config file.
// Precedence, lowest first: built-in defaults < config file < environment variables < flags. An
// upstream's own settings in the file win over the global ones (--upstream-timeout, --max-*).
//
// Environment variables are read here from the `env` argument, not by yargs's .env(), which reads
// process.env: that keeps loadConfig pure, and lets every message name the variable at fault.
import { readFileSync } from 'node:fs';
import Yargs from 'yargs/yargs';
import packageJson from '../../package.json';
import { didYouMean } from './_suggest';
import { completeUpstream, type UpstreamSpec } from './_upstream';
import { CONFIG_DEFAULTS, type Config, type UpstreamDefaults } from './config';
import { ConfigError } from './config-error';
import { type ConfigFile, formatPath, readConfigFile } from './config-file';
import { readMetricsEndpoints } from './metrics-endpoints';
import { OPTIONS, type OptionKey, type OptionValue } from './options';

/** What the command line asks for: to run with a configuration, or to print help or the version. */
export type CommandLine =
  | { readonly kind: 'run'; readonly config: Config }
  | { readonly kind: 'help' | 'version'; readonly text: string };

/** Reads a config file; the default reads it from disk as UTF-8. */
export type ReadFile = (path: string) => string;

const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/** The program's version, from aggregator/package.json (inlined by the esbuild bundle). */
export const VERSION: string = packageJson.version;

const OPTION_KEYS = Object.keys(OPTIONS) as OptionKey[];

/**
 * Parses the arguments (without `node` and the script: `process.argv.slice(2)`), the environment
 * and the config file. Throws a ConfigError naming the first problem found.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  readFile: ReadFile = readUtf8,
): CommandLine {
  const args = parseArgs(argv);
  if (args.help) return { kind: 'help', text: args.output };
  if (args.version) return { kind: 'version', text: args.output };
  return { kind: 'run', config: resolveConfig(args.values, env, readFile) };
}

/** The configuration for a run; throws a ConfigError (code NOT_A_RUN for --help and --version). */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  readFile: ReadFile = readUtf8,
): Config {
  const commandLine = parseCommandLine(argv, env, readFile);
  if (commandLine.kind !== 'run') {
    throw new ConfigError(
      'NOT_A_RUN',
      `--${commandLine.kind} prints text and configures nothing; use parseCommandLine`,
    );
  }
  return commandLine.config;
}

/** The --help text, as `metrics-aggregator --help` prints it. */
export function helpText(): string {
  const args = parseArgs(['--help']);
  return args.output;
}

function buildParser() {
  const parser = Yargs([])
    .scriptName('metrics-aggregator')
    .usage(
      'Usage: $0 [options]\n\n' +
        'Scrapes every container of the pod and serves one merged Prometheus exposition, each series\n' +
        'labelled with the container it comes from.\n\n' +
        'Example: METRICS_ENDPOINTS=\'{"api":"http://localhost:8080/metrics"}\' $0',
    )
    .locale('en')
    .detectLocale(false)
    .wrap(110)
    .exitProcess(false)
    .showHelpOnFail(false)
    .parserConfiguration({
      'duplicate-arguments-array': false,
      'strip-aliased': true,
      'strip-dashed': true,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'dot-notation': false,
    });
  for (const key of OPTION_KEYS) {
    const option = OPTIONS[key];
    const env = `[env: ${option.env.join(' or ')}]`;
    parser.option(option.flag, {
      type: option.boolean ? 'boolean' : 'string',
      description: `${option.description} ${env}`,
      ...(option.defaultText === undefined ? {} : { defaultDescription: option.defaultText }),
    });
  }
  return parser
    .help('help')
    .alias('help', 'h')
    .version('version', 'Show the version number', VERSION)
    .epilogue(
      'Precedence: flags > environment variables > config file > defaults. Every flag --foo-bar is also\n' +
        'the variable METRICS_AGGREGATOR_FOO_BAR and the config file key fooBar (except --metrics-endpoints\n' +
        'and --config). Durations: 500ms, 5s, 1m30s, or seconds. Sizes: 1048576, 512KiB, 10MiB, 50Mi, 1GB.',
    );
}

interface ParsedArgs {
  help: boolean;
  version: boolean;
  output: string;
  values: Record<string, unknown>;
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  checkSwitchValues(argv);
  let failure: Error | undefined;
  let output = '';
  let values: Record<string, unknown> = {};
  buildParser()
    .fail((message, error) => {
      failure = error ?? new Error(message);
    })
    .parse([...argv], {}, (error, parsed, text) => {
      failure ??= error ?? undefined;
      values = parsed as Record<string, unknown>;
      output = text;
    });
  if (failure) throw new ConfigError('UNKNOWN_ARGUMENT', `${failure.message}; see --help`);
  const help = values.help === true;
  const version = values.version === true;
  if (!help && !version) checkUnknownArguments(values, argv);
  return { help, version, output, values };
}

// yargs reads `--force-text=maybe` as false: refuse it instead.
function checkSwitchValues(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const match = /^--(?:no-)?([^=]+)=(.*)$/s.exec(arg);
    if (!match) continue;
    const option = OPTION_KEYS.map((key) => OPTIONS[key]).find((o) => o.flag === match[1] && o.boolean);
    if (option && !/^(true|false)$/.test(match[2])) {
      throw new ConfigError(
        'UNKNOWN_ARGUMENT',
        `${arg}: a switch takes true or false, got ${JSON.stringify(match[2])}`,
      );
    }
  }
}

function checkUnknownArguments(values: Record<string, unknown>, argv: readonly string[]): void {
  const known = new Set<string>([...OPTION_KEYS, '_', '$0', 'help', 'version']);
  const flags = OPTION_KEYS.map((key) => OPTIONS[key].flag);
  for (const key of Object.keys(values)) {
    if (known.has(key)) continue;
    const flag = originalFlag(key, argv);
    const suggestion = didYouMean(flag.replace(/^-+/, ''), flags, (f) => `--${f}`);
    throw new ConfigError('UNKNOWN_ARGUMENT', `unknown flag ${flag}${suggestion}; see --help`);
  }
  const positional = values._ as unknown[];
  if (positional.length > 0) {
    throw new ConfigError(
      'UNKNOWN_ARGUMENT',
      `unexpected argument ${JSON.stringify(String(positional[0]))}: every setting is a flag, e.g. --port 9090; see --help`,
    );
  }
}

// The flag as typed, for the message: yargs only hands back its camelCase key.
function originalFlag(key: string, argv: readonly string[]): string {
  const camel = (s: string) => s.replace(/-+([^-])/g, (_, c: string) => c.toUpperCase());
  for (const arg of argv) {
    const name = /^(-{1,2})(?:no-)?([^=]+)/.exec(arg);
    if (name && camel(name[2]) === key) return `${name[1]}${name[2]}`;
  }
  return key.length === 1 ? `-${key}` : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A setting's value and where it came from, to name in messages. */
interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** A setting's value and where it came from; no source for a built-in default. */
type DefaultOr<T> = { readonly value: T; readonly source: string | undefined };

function resolveConfig(
  cliValues: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  readFile: ReadFile,
): Config {
  const fromCliOrEnv = <K extends OptionKey>(key: K): Sourced<OptionValue<K>> | undefined => {
    const option = OPTIONS[key];
    const flag = `--${option.flag}`;
    if (cliValues[key] !== undefined) {
      return { value: option.parse(cliValues[key], flag) as OptionValue<K>, source: flag };
    }
    for (const name of option.env) {
      const raw = env[name];
      if (raw === undefined || raw.trim() === '' || isServiceLink(name, raw)) continue;
      return { value: option.parse(raw, name) as OptionValue<K>, source: name };
    }
    return undefined;
  };

  // Flags and variables first, in --help order, so that the first bad one is the one reported.
  const given = new Map<OptionKey, Sourced<unknown>>();
  for (const key of OPTION_KEYS) {
    const value = fromCliOrEnv(key);
    if (value) given.set(key, value);
  }
  const configPath = given.get('config') as Sourced<string> | undefined;
  const file: ConfigFile | undefined = configPath ? readConfigFile(configPath.value, readFile) : undefined;
  const setting = <K extends OptionKey>(key: K): Sourced<OptionValue<K>> | undefined => {
    const value = given.get(key) as Sourced<OptionValue<K>> | undefined;
    if (value) return value;
    const fromFile = file?.settings[key];
    return fromFile === undefined || file === undefined
      ? undefined
      : { value: fromFile as OptionValue<K>, source: `config file ${file.path}: ${formatPath([key])}` };
  };
  const pick = <K extends OptionKey>(key: K, fallback: OptionValue<K>): OptionValue<K> =>
    setting(key)?.value ?? fallback;

  const maxBodyBytes = pick('maxBodyBytes', CONFIG_DEFAULTS.maxBodyBytes);
  const upstreamDefaults: UpstreamDefaults = Object.freeze({
    timeoutMs: pick('upstreamTimeout', CONFIG_DEFAULTS.upstreamTimeoutMs),
    limits: Object.freeze({
      maxBodyBytes,
      maxCompressedBytes: pick('maxCompressedBytes', maxBodyBytes),
      maxSamples: pick('maxSamples', CONFIG_DEFAULTS.maxSamples),
      maxLineBytes: pick('maxLineBytes', CONFIG_DEFAULTS.maxLineBytes),
    }),
  });

  const endpoints = setting('metricsEndpoints');
  const specs = [
    ...(endpoints ? readMetricsEndpoints(endpoints.value, endpoints.source) : []),
    ...(file?.upstreams ?? []),
  ];
  checkDuplicates(specs);

  const originLabel = setting('originLabel') ?? { value: CONFIG_DEFAULTS.originLabel, source: undefined };
  checkStaticLabels(specs, originLabel);

  const selfMetrics = pick('selfMetrics', CONFIG_DEFAULTS.selfMetrics);
  const selfOrigin = setting('selfOrigin') ?? { value: CONFIG_DEFAULTS.selfOrigin, source: undefined };
  if (selfMetrics) checkSelfOrigin(specs, selfOrigin);

  const demo = pick('demo', CONFIG_DEFAULTS.demo);
  if (specs.length === 0 && !demo) {
    throw new ConfigError(
      'NO_UPSTREAMS',
      'no upstream to scrape: set METRICS_ENDPOINTS (e.g. {"api":"http://localhost:8080/metrics"}), ' +
        'give --config a file with "upstreams:", or run with --demo',
    );
  }

  const tracingEndpoint = setting('tracingEndpoint')?.value;
  return Object.freeze({
    listen: Object.freeze({
      host: pick('host', CONFIG_DEFAULTS.host),
      port: pick('port', CONFIG_DEFAULTS.port),
    }),
    originLabel: originLabel.value,
    selfOrigin: selfMetrics ? selfOrigin.value : undefined,
    forceText: pick('forceText', CONFIG_DEFAULTS.forceText),
    scrapeTimeoutMarginMs: pick('scrapeTimeoutMargin', CONFIG_DEFAULTS.scrapeTimeoutMarginMs),
    shutdownGraceMs: pick('shutdownGrace', CONFIG_DEFAULTS.shutdownGraceMs),
    logLevel: pick('logLevel', CONFIG_DEFAULTS.logLevel),
    tracing: Object.freeze({
      enabled: pick('tracing', CONFIG_DEFAULTS.tracing),
      ...(tracingEndpoint === undefined ? {} : { endpoint: tracingEndpoint }),
    }),
    demo,
    upstreamDefaults,
    upstreams: Object.freeze(specs.map((spec) => completeUpstream(spec, upstreamDefaults))),
  });
}

// Kubernetes gives every pod METRICS_AGGREGATOR_PORT=tcp://10.0.0.1:9090 when a Service named
// metrics-aggregator exists in the namespace (enableServiceLinks): that is not a setting.
function isServiceLink(name: string, value: string): boolean {
  return name === OPTIONS.port.env[0] && /^(tcp|udp|sctp):\/\//.test(value.trim());
}

function checkDuplicates(specs: readonly UpstreamSpec[]): void {
  const seen = new Map<string, UpstreamSpec>();
  for (const spec of specs) {
    const first = seen.get(spec.name);
    if (first) {
      throw new ConfigError(
        'DUPLICATE_NAME',
        `upstream name ${JSON.stringify(spec.name)} is defined both in ${first.where} and in ${spec.where}; keep one`,
      );
    }
    seen.set(spec.name, spec);
  }
}

function checkStaticLabels(specs: readonly UpstreamSpec[], originLabel: DefaultOr<string>): void {
  const origin = originLabel.source ? `set by ${originLabel.source}` : 'the default of --origin-label';
  for (const spec of specs) {
    for (const label of spec.labels) {
      if (label.name !== originLabel.value) continue;
      throw new ConfigError(
        'INVALID_LABEL',
        `${spec.where}.labels.${label.name}: is the origin label (${origin}), which the aggregator adds itself; ` +
          'choose another label name',
      );
    }
  }
}

function checkSelfOrigin(specs: readonly UpstreamSpec[], selfOrigin: DefaultOr<string>): void {
  const spec = specs.find((s) => s.name === selfOrigin.value);
  if (!spec) return;
  const name = JSON.stringify(selfOrigin.value);
  const message = selfOrigin.source
    ? `${selfOrigin.source}: ${name} is also the name of an upstream (${spec.where}); choose another self origin or use --no-self-metrics`
    : `${spec.where}: upstream name ${name} is the origin of the aggregator's own metrics (the default of --self-origin); ` +
      'rename the upstream, set --self-origin, or use --no-self-metrics';
  throw new ConfigError('DUPLICATE_NAME', message);
}
