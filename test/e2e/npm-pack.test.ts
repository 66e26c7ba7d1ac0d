/**
 * The npm package as a user gets it: `npm pack` holds the bundle, the licence, README, changelog and the monitoring
 * files and nothing else (no sources, tests or fixtures), and installed into an empty folder with no network it runs
 * (`--help`, `--version`, and `--demo` serving metrics) with nothing beside it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { freePort, waitFor } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the npm package', () => {
  const dir = mkdtempSync(join(process.env['TEST_TMP'] ?? tmpdir(), 'npm-pack-'));
  let files: string[];
  let bin: string;

  before(() => {
    // --ignore-scripts: the bundle is built already (npm test builds it); prepack would build it again.
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
    const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed);
    files = packed.files.map((f) => f.path).sort();
    const project = join(dir, 'empty-project');
    mkdirSync(project);
    execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'ignore' });
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed.filename)], { cwd: project, stdio: 'ignore' });
    bin = join(project, 'node_modules', '.bin', 'dispatcharr-exporter');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('holds the bundle, licence, README, changelog and monitoring files, and nothing else', () => {
    assert.deepEqual(files, [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist/dispatcharr-exporter.cjs',
      'monitoring/alerts.yml',
      'monitoring/dashboard.json',
      'package.json',
    ]);
  });

  test('installs into an empty folder without the network and answers --help and --version', () => {
    assert.match(execFileSync(bin, ['--help'], { encoding: 'utf8' }), /--demo/);
    assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(), `dispatcharr-exporter ${VERSION}`);
  });

  test('--demo serves metrics with no PostgreSQL or Redis', async () => {
    const port = await freePort();
    const child = spawn(bin, ['--demo', '--host', '127.0.0.1', '--port', String(port)], { stdio: 'ignore' });
    try {
      const text = await waitFor('the demo to answer', async () => {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        assert.equal(response.status, 200);
        return response.text();
      });
      assert.match(text, /^dispatcharr_up 1$/m);
      assert.match(text, /^dispatcharr_active_streams /m);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
