/**
 * The landing page in a real browser: headless Chromium loads `/` from the exporter running on the live fixture,
 * and the page's DOM shows the streams table, the provider usage and the backends, with a channel name made of HTML
 * shown as text. A screenshot is saved for the README (docs/landing.png, when UPDATE_SCREENSHOT=1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { allocateRedisDb, openRedisWriter, redisEnv, type RedisWriter } from '../support/redis.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const HTML_NAME = '<img src=x onerror=alert(1)> Sports & "Co"';

/** Chromium as the machine notes advise: headless, no sandbox (root), no network of its own, a fresh profile. */
function chromium(profile: string, ...args: string[]): string {
  return execFileSync(
    CHROMIUM ?? 'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
  );
}

describe('the landing page in headless Chromium', {
  skip: CHROMIUM ? false : 'Chromium is not installed (Debian package chromium)',
}, () => {
  const dir = mkdtempSync(join(process.env['TEST_TMP'] ?? tmpdir(), 'landing-'));
  let db: TestDatabase;
  let data: SeededDataset;
  let redis: RedisWriter;
  let exporter: RunningExporter;

  before(async () => {
    db = await createTestDatabase('v0.29', 'landing');
    data = await seedDataset(db);
    await db.client.query('UPDATE dispatcharr_channels_channel SET name = $1 WHERE id = $2', [HTML_NAME, data.channels.sports.id]);
    redis = await openRedisWriter(allocateRedisDb());
    await writeLiveScenario(redis, 'live:', data, true);
    exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) });
  });
  after(async () => {
    await exporter.stop();
    redis.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('shows the streams, the providers and the backends, and a channel name made of HTML as text', () => {
    const dom = chromium(join(dir, 'profile-dom'), '--dump-dom', `http://127.0.0.1:${exporter.port}/`);
    assert.match(dom, /<h2>Active streams<\/h2>\s*<table>/);
    assert.match(dom, /<th>Channel<\/th>.*<th>Provider<\/th>.*<th>Bitrate<\/th>.*<th>Uptime<\/th>.*<th>Stream<\/th>/s);
    assert.match(dom, /<td>News One HD<\/td>/);
    assert.match(dom, /<td>backup 1<\/td>/, 'News One plays its backup stream');
    assert.match(dom, /<h2>Provider connections<\/h2>\s*<table>/);
    assert.match(dom, /<td>Provider A<\/td>/);
    assert.match(dom, /database <span class="ok">up<\/span>, Redis <span class="ok">up<\/span>/);
    // The browser parsed no element out of the name: it is text, escaped again when the DOM is serialised.
    assert.ok(!/<img/i.test(dom), 'no element was made of the channel name');
    assert.ok(dom.includes('&lt;img src=x onerror=alert(1)&gt; Sports &amp; "Co"'), 'the name is shown as text');
  });

  test('renders to a screenshot', () => {
    const shot = join(dir, 'landing.png');
    chromium(
      join(dir, 'profile-shot'),
      '--hide-scrollbars',
      '--window-size=1280,800',
      `--screenshot=${shot}`,
      `http://127.0.0.1:${exporter.port}/`,
    );
    assert.ok(existsSync(shot));
    if (process.env['UPDATE_SCREENSHOT'] === '1') copyFileSync(shot, fileURLToPath(new URL('../../docs/landing.png', import.meta.url)));
  });
});
