/**
 * The built exporter against seeded v0.15 and v0.29 databases: exact output, gates and defaults,
 * promtool's verdict, and the HTTP surface.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DAY, seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { createTestDatabase, type SchemaVersion, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { assertGolden, stableExposition } from '../support/golden.js';
import { promtoolCheckMetrics } from '../support/prometheus.js';
import { documentedPromtoolFindings } from '../support/readme.js';
import { ALL_GATES } from '../support/settings.js';

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  describe(`built exporter on a Dispatcharr ${version} database`, () => {
    let db: TestDatabase;
    let data: SeededDataset;
    let defaults: RunningExporter;
    let everything: RunningExporter;

    before(async () => {
      db = await createTestDatabase(version, 'e2e');
      data = await seedDataset(db);
      const env = { ...postgresEnv(db.url), DISPATCHARR_VERSION: version === 'v0.29' ? '0.29.0' : '0.15.1' };
      defaults = await startExporter(env);
      everything = await startExporter(env, ALL_GATES);
    });
    after(async () => {
      await defaults.stop();
      await everything.stop();
      await db.drop();
    });

    test('default settings: exact output', async () => {
      const text = await defaults.metrics();
      assertGolden(`${version}-defaults.prom`, stableExposition(text, defaults.port));
    });

    test('every gate on: exact output', async () => {
      const text = await everything.metrics();
      assertGolden(`${version}-all-gates.prom`, stableExposition(text, everything.port));
    });

    test('values worked out from the dataset', async () => {
      const m = parseExposition(await defaults.metrics());
      assert.equal(sampleValue(m, 'dispatcharr_up'), 1);
      assert.equal(sampleValue(m, 'dispatcharr_m3u_accounts', { status: 'total' }), 4, 'custom (locked) excluded, CUSTOM kept');
      assert.equal(sampleValue(m, 'dispatcharr_m3u_accounts', { status: 'active' }), 2);
      assert.equal(sampleValue(m, 'dispatcharr_m3u_account_stream_count', { account_name: 'CUSTOM' }), 0);
      assert.equal(sampleValue(m, 'dispatcharr_m3u_account_stream_count', { account_name: 'Provider A' }), 3);
      assert.equal(sampleValue(m, 'dispatcharr_m3u_account_stream_count', { account_name: 'custom' }), undefined);
      assert.equal(sampleValue(m, 'dispatcharr_channels', { status: 'enabled' }), version === 'v0.29' ? 3 : 4);
      assert.equal(sampleValue(m, 'dispatcharr_channel_groups'), 3);
      assert.equal(m.has('dispatcharr_epg_sources'), false, 'EPG is off by default');
      assert.equal(m.has('dispatcharr_m3u_account_info'), false, 'legacy is off by default');
      const days = version === 'v0.29' ? 30 : 10;
      assert.equal(sampleValue(m, 'dispatcharr_profile_days_to_expiry', { profile_id: data.profiles.aDefault }), days);
      assert.equal(sampleValue(m, 'dispatcharr_profile_days_to_expiry', { profile_id: data.profiles.aBackup }), 0);
      assert.equal(sampleValue(m, 'dispatcharr_profile_days_to_expiry', { profile_id: data.profiles.oldDefault }), -1);
      assert.equal(sampleValue(m, 'dispatcharr_profile_expiry_timestamp_seconds', { profile_id: data.profiles.oldDefault }), undefined);
      const expiry = version === 'v0.29' ? data.now + 30 * DAY + DAY / 4 : data.now + 10 * DAY + DAY / 2;
      assert.equal(sampleValue(m, 'dispatcharr_profile_expiry_timestamp_seconds', { profile_id: data.profiles.aDefault }), expiry);
      for (const collector of ['core', 'm3u', 'channels', 'profiles']) {
        assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector }), 1, collector);
      }
      assert.ok((sampleValue(m, 'process_resident_memory_bytes') ?? 0) > 1e6);
    });

    test('no secret of the dataset appears with every gate on', async () => {
      const text = await everything.metrics();
      for (const secret of ['hunter2', 's3cret', 'oldpass', 'abc123']) assert.ok(!text.includes(secret), secret);
      assert.match(text, /password=REDACTED/);
    });

    test('promtool finds nothing beyond the documented findings', async () => {
      // The exact list needs live streams and clients: test/e2e/live.test.ts checks it.
      const expected = documentedPromtoolFindings();
      for (const exporter of [defaults, everything]) {
        const { findings } = promtoolCheckMetrics(await exporter.metrics());
        assert.ok(findings.length > 0);
        for (const finding of findings) assert.ok(expected.includes(finding), `undocumented finding: ${finding}`);
      }
    });
  });
}

describe('HTTP surface', () => {
  let db: TestDatabase;
  let exporter: RunningExporter;
  before(async () => {
    db = await createTestDatabase('v0.29', 'http');
    await seedDataset(db);
    exporter = await startExporter(postgresEnv(db.url));
  });
  after(async () => {
    await exporter.stop();
    await db.drop();
  });

  test('/metrics is text format 0.0.4, gzip when asked', async () => {
    const response = await exporter.get('/metrics');
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const zipped = await exporter.get('/metrics', { 'accept-encoding': 'gzip' });
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    assert.match(await zipped.text(), /^dispatcharr_up 1$/m);
  });

  test('/health reports the exporter and each backend as JSON', async () => {
    await exporter.metrics();
    const response = await exporter.get('/health');
    assert.equal(response.status, 200);
    const body = (await response.json()) as { status: string; backends: { postgres: { status: string } }; exporter: { version: string } };
    assert.equal(body.status, 'ok');
    assert.equal(body.backends.postgres.status, 'up');
    assert.match(body.exporter.version, /^\d+\.\d+\.\d+/);
  });

  test('/ is a landing page linking both endpoints', async () => {
    const response = await exporter.get('/');
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await response.text();
    assert.match(html, /href="metrics"/);
    assert.match(html, /href="health"/);
  });

  test('HEAD answers without a body, other methods get 405, unknown paths 404', async () => {
    const head = await fetch(`${exporter.url}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(`${exporter.url}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await exporter.get('/nope')).status, 404);
    assert.equal((await exporter.get('/metrics/')).status, 404);
    assert.equal((await exporter.get('/metrics?x=1')).status, 200);
  });
});
