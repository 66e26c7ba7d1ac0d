/**
 * The test command. Starts throwaway PostgreSQL and Redis on free loopback ports (unless
 * TEST_POSTGRES_URL / TEST_REDIS_URL point at servers to use), then runs every test file with
 * node's test runner, then the plugin launcher's Python tests. `--unit-only` runs the fast tests without any
 * server; `--with-plugin` adds the tests of the packaged plugin zip.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPostgres, startRedis, type RunningServer } from '../test/support/servers.js';
import { errorMessage } from '../src/error-message.js';

const unitOnly = process.argv.includes('--unit-only');
const pluginOnly = process.argv.includes('--plugin-only');
/** Also run the plugin tests, which need the zips that `npm run package` builds. */
const withPlugin = pluginOnly || process.argv.includes('--with-plugin');
/** Test files named on the command line run alone (with the servers started as usual). */
const chosen = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const suites = unitOnly ? ['unit'] : ['unit', 'integration', 'e2e'];

function testFiles(): string[] {
  return suites.flatMap((suite) => {
    const dir = join('test', suite);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => join(dir, f));
  });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(command, args, { stdio: 'inherit', env });
  return new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
}

async function main(): Promise<number> {
  // Under the system temporary folder, so PostgreSQL's own user can reach it wherever the checkout is.
  const dir = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-test-'));
  chmodSync(dir, 0o755);
  const started: RunningServer[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_TMP: dir, EXPORTER_BUNDLE: resolve('dist/dispatcharr-exporter.cjs') };
  try {
    if (!unitOnly) {
      if (!env['TEST_POSTGRES_URL']) {
        const server = await startPostgres(join(dir, 'postgres'));
        started.push(server);
        env['TEST_POSTGRES_URL'] = server.url;
      }
      if (!env['TEST_REDIS_URL']) {
        const server = await startRedis(join(dir, 'redis'));
        started.push(server);
        env['TEST_REDIS_URL'] = server.url;
      }
      process.stdout.write(`PostgreSQL: ${env['TEST_POSTGRES_URL']}\nRedis: ${env['TEST_REDIS_URL']}\n`);
    }
    const files = chosen.length > 0 ? chosen : testFiles();
    const nodeTests = pluginOnly ? 0 : await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], env);
    if (chosen.length > 0) return nodeTests;
    // The plugin launcher is Python (standard library only). Its pure helpers are tested from the source
    // tree; the plugin tests (test_plugin.py) extract and run the zip that `npm run package` built.
    const pattern = withPlugin ? 'test_*.py' : 'test_launcher*.py';
    const pluginTests = await run('python3', ['-m', 'unittest', 'discover', '-s', 'plugin/tests', '-t', '.', '-p', pattern, '-v'], env);
    return nodeTests !== 0 ? nodeTests : pluginTests;
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test setup failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
