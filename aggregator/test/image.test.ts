import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { entrypointCommand, imageEntrypoint, imageEnvironment } from './support/entrypoint';

const dockerfile = readFileSync(resolve(__dirname, '../Dockerfile'), 'utf8');
const { version } = JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8'));

function runEntrypoint(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { command, args: base } = entrypointCommand();
  return spawnSync(command, [...base, ...args], {
    env: { PATH: process.env.PATH, ...imageEnvironment(), ...env },
    encoding: 'utf8',
    timeout: 10_000,
  });
}

describe('the image', () => {
  it('runs the bundled file with node, as a numeric non-root user', () => {
    expect(imageEntrypoint()).toEqual([
      'node',
      '--max-semi-space-size=1',
      '--liftoff-only',
      '--v8-pool-size=1',
      '/app/metrics-aggregator.js',
    ]);
    const users = dockerfile.split('\n').filter((l) => l.startsWith('USER '));
    expect(users).toEqual(['USER 1000:1000']);
  });

  it('runs in production mode, the environment the tests start it in too', () => {
    expect(imageEnvironment()).toEqual({ NODE_ENV: 'production' });
  });

  it('labels the image with the package version, source and license', () => {
    expect(dockerfile).toContain(`ARG VERSION=${version}`);
    for (const label of ['source', 'version', 'licenses'])
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
  });

  it('copies only the bundle into the runtime stage', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
    const copies = runtime.split('\n').filter((l) => l.startsWith('COPY'));
    expect(copies).toEqual([
      expect.stringMatching(/^COPY --from=build \/src\/aggregator\/dist\/metrics-aggregator\.js /),
    ]);
  });

  it('builds from a context of exactly the files its build stage copies (.dockerignore)', () => {
    const ignore = readFileSync(resolve(__dirname, '../../.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((l) => {
      expect(l.startsWith('!')).toBe(true);
      return l.slice(1);
    });
    const sources = dockerfile
      .split('\n')
      .filter((l) => l.startsWith('COPY ') && !l.startsWith('COPY --from'))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(new Set(sources)).toEqual(new Set(allowed));
  });

  it('prints its version and help through the entrypoint', () => {
    const v = runEntrypoint(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const help = runEntrypoint(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('METRICS_ENDPOINTS');
  });

  it('refuses bad configuration with one message and exit code 2, starting nothing', () => {
    const result = runEntrypoint([], { METRICS_ENDPOINTS: '{"api":"ftp://localhost/metrics"}' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('api');
  });
});
