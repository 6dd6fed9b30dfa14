// The `metrics-aggregator` command: the image's ENTRYPOINT.
import { Aggregator } from './aggregator';
import { ConfigError, parseCommandLine } from './config';

async function main(): Promise<void> {
  let commandLine: ReturnType<typeof parseCommandLine>;
  try {
    commandLine = parseCommandLine(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One clear message, and nothing started.
    process.stderr.write(`metrics-aggregator: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (commandLine.kind !== 'run') {
    process.stdout.write(`${commandLine.text}\n`);
    return;
  }
  const aggregator = await Aggregator.start(commandLine.config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    aggregator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`metrics-aggregator: shutdown after ${signal} failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`metrics-aggregator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
