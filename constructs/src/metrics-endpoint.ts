/** Where a container serves its metrics: a port (by number or by name) and a path. */
export class MetricsEndpoint {
  /** A port number the container declares, e.g. `MetricsEndpoint.fromPort(8080)`. */
  static fromPort(port: number, path = '/metrics'): MetricsEndpoint {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`MetricsEndpoint.fromPort: ${port} is not a port number (1-65535)`);
    }
    return new MetricsEndpoint(port, undefined, checkPath(path));
  }

  /** A named port the container declares, e.g. `MetricsEndpoint.fromPortName('http-metrics')`. */
  static fromPortName(name: string, path = '/metrics'): MetricsEndpoint {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 15) {
      throw new Error(
        `MetricsEndpoint.fromPortName: "${name}" is not a valid port name (IANA_SVC_NAME: up to 15 lowercase alphanumerics and '-')`,
      );
    }
    return new MetricsEndpoint(undefined, name, checkPath(path));
  }

  private constructor(
    /** The port number; undefined when named. */
    readonly port: number | undefined,
    /** The port name; undefined when numbered. */
    readonly portName: string | undefined,
    /** The HTTP path, starting with `/`. */
    readonly path: string,
  ) {}

  /** How messages name it: `8080/metrics` or `http-metrics/metrics`. */
  toString(): string {
    return `${this.port ?? this.portName}${this.path}`;
  }
}

function checkPath(path: string): string {
  if (!path.startsWith('/') || /\s/.test(path)) {
    throw new Error(`MetricsEndpoint: path "${path}" must start with "/" and contain no whitespace`);
  }
  return path;
}
