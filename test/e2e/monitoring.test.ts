/** The shipped alerting rules: valid for Prometheus, their own unit tests pass, and they use documented families. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { requireBinary } from '../support/binaries.js';

const monitoring = fileURLToPath(new URL('../../monitoring/', import.meta.url));

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(requireBinary('promtool', 'TEST_PROMTOOL', 'prometheus'), args, { cwd: monitoring, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('promtool accepts the rules and their unit tests pass', () => {
  const check = promtool('check', 'rules', 'alerts.yml');
  assert.equal(check.status, 0, check.output);
  assert.match(check.output, /SUCCESS: 15 rules found/);
  const unit = promtool('test', 'rules', 'alerts.test.yml');
  assert.equal(unit.status, 0, unit.output);
});

test('every family the rules use is one the README documents', () => {
  const rules = readFileSync(`${monitoring}alerts.yml`, 'utf8');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const used = new Set([...rules.matchAll(/expr: .*?\b(dispatcharr_[a-z0-9_]+)/g)].map((m) => m[1] ?? ''));
  assert.ok(used.size >= 8);
  for (const name of used) assert.ok(readme.includes(`\`${name}\``), `${name} is not documented`);
});
