// Bundles the runtime into one file: the image then holds only Node and this file (small, fast start).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/metrics-aggregator.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  legalComments: 'linked',
  // Whitespace and syntax only, names kept (stack traces stay readable): the source V8 holds in memory
  // is a third smaller, which counts in the idle RSS of every pod.
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: '#!/usr/bin/env node' },
  // ES module builds where packages have them: the OpenTelemetry SDK then bundles without its unused half.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
});
