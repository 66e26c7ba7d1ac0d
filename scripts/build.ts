/**
 * Bundles the exporter into one CommonJS file with only built-in requires left (needed for a Node SEA). The file
 * starts as a shell script that applies the memory budget and execs node on itself (src/memory-budget.ts).
 */
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { budgetShellLine } from '../src/memory-budget.js';

const BUILTINS = new Set(builtinModules);

const outfile = 'dist/dispatcharr-exporter.cjs';

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile,
  banner: { js: `#!/bin/sh\n${budgetShellLine()}` },
  legalComments: 'none',
  logLevel: 'warning',
  // pg only loads pg-native when asked for its native binding, which the exporter never does.
  external: ['pg-native'],
});
chmodSync(outfile, 0o755);

const leftovers = [...readFileSync(outfile, 'utf8').matchAll(/require\("([^"]+)"\)/g)]
  .map((m) => m[1] ?? '')
  .filter((name) => !name.startsWith('node:') && !BUILTINS.has(name) && name !== 'pg-native');
if (leftovers.length > 0) {
  throw new Error(`bundle still requires non-built-in modules: ${[...new Set(leftovers)].join(', ')}`);
}
process.stdout.write(`built ${outfile}\n`);
