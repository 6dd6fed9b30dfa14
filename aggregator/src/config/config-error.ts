/** What went wrong, stable across releases so that callers and tests can branch on it. */
export type ConfigErrorCode =
  /** A command-line argument that is not a flag of this program, or a flag used the wrong way. */
  | 'UNKNOWN_ARGUMENT'
  /** `--help` or `--version` was asked of a caller that only wants a configuration. */
  | 'NOT_A_RUN'
  /** METRICS_ENDPOINTS or a JSON config file is not valid JSON. */
  | 'INVALID_JSON'
  /** The config file cannot be read, is not valid YAML, is empty or is not a mapping. */
  | 'INVALID_FILE'
  /** A key of the config file that this program does not know (often a typo). */
  | 'UNKNOWN_KEY'
  /** A value of the wrong type: a list where a mapping is expected, a number where a string is. */
  | 'INVALID_TYPE'
  /** A value of the right type that is out of range or malformed (port, duration, size, log level...). */
  | 'INVALID_VALUE'
  /** An upstream URL that cannot be parsed, is not http(s), or has options its scheme cannot use. */
  | 'INVALID_URL'
  /** A keep or drop pattern that is not a valid regular expression. */
  | 'INVALID_REGEX'
  /** An upstream (origin) name that cannot be a Prometheus label value. */
  | 'INVALID_NAME'
  /** A label name that is not a valid Prometheus label name, or one that is reserved. */
  | 'INVALID_LABEL'
  /** Two upstreams with one name, or the self origin equal to an upstream name. */
  | 'DUPLICATE_NAME'
  /** Neither METRICS_ENDPOINTS, a config file with upstreams, nor --demo. */
  | 'NO_UPSTREAMS';

/**
 * A configuration the aggregator refuses to start with. The message names the source (flag,
 * environment variable or file), the place in it, the value received and what is expected.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}
