/** PostgreSQL going away and coming back, concurrent scrapes, and the statement budget per scrape. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { seedDataset } from '../fixtures/dataset.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type RunningServer } from '../support/servers.js';

describe('PostgreSQL outage', () => {
  // A PostgreSQL server of this test's own, so stopping it disturbs no other test.
  const dir = join(process.env['TEST_TMP'] ?? tmpdir(), `outage-${process.pid}`);
  let server: RunningServer;
  let db: TestDatabase;
  let exporter: RunningExporter;

  before(async () => {
    server = await startPostgres(dir);
    db = await createTestDatabase('v0.29', 'outage', server.url);
    await seedDataset(db);
    await db.client.end();
    exporter = await startExporter(postgresEnv(db.url), ['--include-epg-stats']);
  });
  after(async () => {
    await exporter.stop();
    await server.stop();
  });

  test('answers 200 with dispatcharr_up 0 while PostgreSQL is stopped, and recovers by itself', async () => {
    let m = parseExposition(await exporter.metrics());
    assert.equal(sampleValue(m, 'dispatcharr_up'), 1);

    await server.stop();
    const response = await exporter.get('/metrics');
    assert.equal(response.status, 200);
    m = parseExposition(await response.text());
    assert.equal(sampleValue(m, 'dispatcharr_up'), 0);
    assert.equal(m.has('dispatcharr_m3u_accounts'), false, 'no stale or invented values');
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'm3u' }), 0);
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'epg' }), 0);
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'core' }), 1);
    assert.ok(m.has('dispatcharr_exporter_info'));
    const health = (await (await exporter.get('/health')).json()) as { backends: { postgres: { status: string; last_error: string } } };
    assert.equal(health.backends.postgres.status, 'down');
    assert.ok(health.backends.postgres.last_error.length > 0);

    server = await startPostgres(dir, server.port);
    await waitFor('the exporter to see the database again', async () => {
      const again = parseExposition(await exporter.metrics());
      if (sampleValue(again, 'dispatcharr_up') !== 1) throw new Error('still down');
      assert.equal(sampleValue(again, 'dispatcharr_m3u_accounts', { status: 'total' }), 4);
    });
    assert.equal(exporter.child.exitCode, null, 'the exporter kept running');
  });
});

/** Statements the exporter's role ran in `database`, from pg_stat_statements. */
async function statementsRun(admin: pg.Client, database: string): Promise<number> {
  const result = await admin.query<{ calls: string }>(
    `SELECT coalesce(sum(s.calls), 0)::text AS calls
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid JOIN pg_roles r ON r.oid = s.userid
      WHERE d.datname = $1 AND r.rolname = 'stmt_counter'`,
    [database],
  );
  return Number(result.rows[0]?.calls ?? 0);
}

describe('statements per scrape', () => {
  let admin: pg.Client;
  const databases: TestDatabase[] = [];

  before(async () => {
    admin = new pg.Client({ connectionString: process.env['TEST_POSTGRES_URL'] });
    await admin.connect();
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await admin.query(`DO $$ BEGIN CREATE ROLE stmt_counter LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  });
  after(async () => {
    for (const db of databases) await db.drop();
    await admin.end();
  });

  async function countFor(channels: number): Promise<{ perScrape: number; concurrent: number; responses: string[] }> {
    const db = await createTestDatabase('v0.29', `stmts${channels}`);
    databases.push(db);
    await seedDataset(db);
    // Bulk channels, streams, profiles and memberships: rows the original plugin queried one by one.
    await db.client.query(`
      INSERT INTO dispatcharr_channels_channel (name, channel_number, uuid, user_level, auto_created, created_at, updated_at, is_adult, hidden_from_output, is_catchup, catchup_days)
      SELECT 'Bulk ' || g, 5000 + g, gen_random_uuid(), 0, false, now(), now(), false, false, false, 0 FROM generate_series(1, ${channels}) g`);
    await db.client.query(`
      INSERT INTO dispatcharr_channels_channelprofilemembership (channel_id, channel_profile_id, enabled)
      SELECT c.id, (SELECT min(id) FROM dispatcharr_channels_channelprofile), true FROM dispatcharr_channels_channel c WHERE c.name LIKE 'Bulk %'`);
    await db.client.query(`
      INSERT INTO m3u_m3uaccount (name, server_url, max_streams, is_active, created_at, locked, refresh_interval, stale_stream_days, account_type, status, priority)
      SELECT 'Bulk provider ' || g, 'http://p' || g || '.example', 1, true, now(), false, 24, 7, 'XC', 'success', 0 FROM generate_series(1, ${Math.ceil(channels / 10)}) g`);
    const exporter = await startExporter({ ...postgresEnv(db.url), POSTGRES_USER: 'stmt_counter' }, [
      '--include-epg-stats',
      '--include-legacy-metrics',
    ]);
    try {
      const before = await statementsRun(admin, db.name);
      const m = parseExposition(await exporter.metrics());
      assert.equal(sampleValue(m, 'dispatcharr_channels', { status: 'total' }), channels + 4);
      const perScrape = (await statementsRun(admin, db.name)) - before;
      // Hold a lock the accounts statement waits on (for less than its lock_timeout) while eight
      // scrapes arrive: they must all be answered by the one collection in flight.
      const beforeBurst = await statementsRun(admin, db.name);
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      await locker.query('BEGIN; LOCK TABLE m3u_m3uaccount IN ACCESS EXCLUSIVE MODE');
      const burst = Promise.all(Array.from({ length: 8 }, () => exporter.metrics()));
      await new Promise((r) => setTimeout(r, 400));
      await locker.query('COMMIT');
      await locker.end();
      const responses = await burst;
      const concurrent = (await statementsRun(admin, db.name)) - beforeBurst;
      return { perScrape, concurrent, responses };
    } finally {
      await exporter.stop();
    }
  }

  test('the same fixed number of statements for 10 and for 10,000 channels', async () => {
    const small = await countFor(10);
    const large = await countFor(10_000);
    // schema level + accounts + EPG sources + channel counts + profiles
    assert.equal(small.perScrape, 5);
    assert.equal(large.perScrape, small.perScrape);
    assert.equal(large.concurrent, large.perScrape, 'eight simultaneous scrapes cost one collection');
    for (const text of large.responses)
      assert.equal(sampleValue(parseExposition(text), 'dispatcharr_m3u_accounts', { status: 'total' }), 4 + 1000);
  });
});

describe('scrape deadline', () => {
  let db: TestDatabase;
  let exporter: RunningExporter;
  before(async () => {
    db = await createTestDatabase('v0.29', 'deadline');
    await seedDataset(db);
    exporter = await startExporter(postgresEnv(db.url));
  });
  after(async () => {
    await exporter.stop();
    await db.drop();
  });

  test("Prometheus' scrape timeout header bounds the collection; what is late is reported as failed", async () => {
    await exporter.metrics();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE m3u_m3uaccount IN ACCESS EXCLUSIVE MODE');
    try {
      const started = performance.now();
      const response = await exporter.get('/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '0.8' });
      const seconds = (performance.now() - started) / 1000;
      const m = parseExposition(await response.text());
      assert.equal(response.status, 200);
      // 0.8 s minus the 0.5 s margin leaves the 0.5 s floor: well before the 1 s lock_timeout.
      assert.ok(seconds < 0.9, `answered after ${seconds.toFixed(2)} s`);
      assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'm3u' }), 0);
      assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'channels' }), 1);
      assert.equal(sampleValue(m, 'dispatcharr_up'), 1);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });
});
