export { type CommandLine, helpText, loadConfig, parseCommandLine, type ReadFile, VERSION } from './cli';
export {
  CONFIG_DEFAULTS,
  type Config,
  DEFAULT_UPSTREAM_DEFAULTS,
  type Label,
  type LogLevel,
  type UpstreamConfig,
  type UpstreamDefaults,
  type UpstreamLimits,
  type UpstreamTls,
} from './config';
export { ConfigError, type ConfigErrorCode } from './config-error';
export { parseMetricsEndpoints } from './metrics-endpoints';
export { ENV_PREFIX, OPTIONS, type Option, type OptionKey, type OptionValue } from './options';
