import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const AGGREGATOR_DIR = resolve(__dirname, '../..');
const IMAGE_APP_DIR = '/app/';
const BUNDLE = join(AGGREGATOR_DIR, 'dist', 'metrics-aggregator.js');

/** The image's ENTRYPOINT, as written in aggregator/Dockerfile (exec form). */
export function imageEntrypoint(): string[] {
  const dockerfile = readFileSync(join(AGGREGATOR_DIR, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (!line) throw new Error('aggregator/Dockerfile has no ENTRYPOINT');
  return JSON.parse(line.slice('ENTRYPOINT '.length));
}

/** The environment the image's runtime stage sets (its `ENV KEY=value` lines). */
export function imageEnvironment(): Record<string, string> {
  const dockerfile = readFileSync(join(AGGREGATOR_DIR, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n')) {
    const match = /^ENV ([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(line);
    if (match) env[match[1]] = match[2];
    else if (line.startsWith('ENV '))
      throw new Error(`aggregator/Dockerfile: write ENV as KEY=value: ${line}`);
  }
  return env;
}

/**
 * The command the image runs, with the image's /app/ mapped to aggregator/dist/: the tests start
 * exactly the artifact that goes into the image, since no container engine runs here.
 */
export function entrypointCommand(): { command: string; args: string[] } {
  const [command, ...args] = imageEntrypoint().map((part) =>
    part.startsWith(IMAGE_APP_DIR) ? join(AGGREGATOR_DIR, 'dist', part.slice(IMAGE_APP_DIR.length)) : part,
  );
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build -w aggregator\` first`);
  return { command: command === 'node' ? process.execPath : command, args };
}

/** Starts the aggregator as the image would (its command and environment), with extra arguments and environment. */
export function startEntrypoint(extraArgs: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const { command, args } = entrypointCommand();
  return spawn(command, [...args, ...extraArgs], {
    env: { PATH: process.env.PATH, ...imageEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
