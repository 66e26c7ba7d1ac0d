/**
 * Bundles the exporter into one CommonJS file with only built-in requires left (needed for a Node SEA). The file
 * starts as a shell script that applies the memory budget and execs node on itself (src/memory-budget.ts).
 */
import { build, type Plugin } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { budgetShellLine } from '../src/memory-budget.js';

const BUILTINS = new Set(builtinModules);

const outfile = 'dist/dispatcharr-exporter.cjs';

/**
 * pg asks, when it loads, whether it runs on Cloudflare Workers. On a Node without `navigator` (Node 20) the question
 * constructs a fetch Response, which loads Node's whole fetch implementation (undici, web streams, http2, workers)
 * that the exporter never uses: 6 MiB of RSS at start and 4 MiB after 2,000 scrapes of the small installation
 * (bench/RESULTS.md's machine). The exporter runs on Node only, so the bundle takes pg's Node answer. The build fails
 * if pg's probe changed, rather than ship pg unpatched or patched wrongly.
 */
const PG_RUNTIME_PROBE = 'if (isCloudflareRuntime()) {';
const pgOnNode: Plugin = {
  name: 'pg-on-node',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (source.split(PG_RUNTIME_PROBE).length !== 2) throw new Error(`${path}: pg's runtime probe changed; review pgOnNode`);
      return { contents: source.replace(PG_RUNTIME_PROBE, 'if (false) {'), loader: 'js' };
    });
  },
};

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
  plugins: [pgOnNode],
});
chmodSync(outfile, 0o755);

const leftovers = [...readFileSync(outfile, 'utf8').matchAll(/require\("([^"]+)"\)/g)]
  .map((m) => m[1] ?? '')
  .filter((name) => !name.startsWith('node:') && !BUILTINS.has(name) && name !== 'pg-native');
if (leftovers.length > 0) {
  throw new Error(`bundle still requires non-built-in modules: ${[...new Set(leftovers)].join(', ')}`);
}
process.stdout.write(`built ${outfile}\n`);
