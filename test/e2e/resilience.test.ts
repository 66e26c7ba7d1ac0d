/** PostgreSQL going away and coming back, concurrent scrapes, and the statement budget per scrape. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { seedDataset } from '../fixtures/dataset.js';
import { connectClient, startChannel, startVod } from '../fixtures/redis-writer.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { type ParsedFamily, parseExposition, sampleValue } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { allocateRedisDb, openRedisWriter, redisEnv } from '../support/redis.js';
import { startPostgres, type RunningServer } from '../support/servers.js';
import { ALL_GATES } from '../support/settings.js';

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
    assert.equal(sampleValue(m, 'dispatcharr_active_streams'), 0, 'what Redis alone can tell still comes out');
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'm3u' }), 0);
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'epg' }), 0);
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'core' }), 1);
    assert.ok(m.has('dispatcharr_exporter_info'));
    const health = (await (await exporter.get('/health')).json()) as { backends: { postgres: { status: string; last_error: string } } };
    assert.equal(health.backends.postgres.status, 'down');
    assert.ok(health.backends.postgres.last_error.length > 0);

    // Ten scrapes into the outage: the backend going down is logged once, each failing collector once.
    const logged = exporter.output().split('\n').length;
    for (let i = 0; i < 10; i++) await exporter.metrics();
    const outageLines = exporter
      .output()
      .split('\n')
      .slice(logged - 1)
      .filter((line) => line.includes('level='));
    assert.deepEqual(outageLines, [], 'nothing more is logged while the outage lasts');
    const lines = exporter
      .output()
      .split('\n')
      .filter((line) => line.includes('level=warn'));
    assert.equal(lines.filter((line) => line.includes('PostgreSQL is unreachable')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((line) => line.includes('collector=m3u')).length, 1, lines.join('\n'));

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
    // schema level + accounts + EPG sources + channel counts + profiles + system events
    assert.equal(small.perScrape, 6);
    assert.equal(large.perScrape, small.perScrape);
    assert.equal(large.concurrent, large.perScrape, 'eight simultaneous scrapes cost one collection');
    // One rendering too: even the process families, read when the text is rendered, are the same in all eight.
    for (const text of large.responses) assert.equal(text, large.responses[0]);
    for (const text of large.responses)
      assert.equal(sampleValue(parseExposition(text), 'dispatcharr_m3u_accounts', { status: 'total' }), 4 + 1000);
  });

  /** A live installation: channels playing, their clients, VOD sessions, and the users they belong to. */
  interface LiveSize {
    readonly label: string;
    readonly channels: number;
    readonly clients: number;
    readonly vodSessions: number;
    /** Users added to the dataset's three; viewers' ids are spread over them (over the dataset's when none). */
    readonly extraUsers: number;
  }
  type Layout = 'v2' | 'v3';
  const LAYOUTS: readonly Layout[] = ['v2', 'v3'];

  /** Statements of two consecutive scrapes per layout, every gate on, and the first scrape's output. */
  async function liveCountFor(size: LiveSize): Promise<Record<Layout, { scrapes: number[]; m: Map<string, ParsedFamily> }>> {
    const db = await createTestDatabase('v0.29', `stmtslive${size.label}`);
    databases.push(db);
    const data = await seedDataset(db);
    // Live channels that exist in the database, each with its stream and News One's guide (so "now playing" has work).
    await db.client.query(
      `INSERT INTO dispatcharr_channels_stream (name, url, m3u_account_id, last_seen, updated_at, current_viewers, is_custom, is_stale, is_adult, is_catchup, catchup_days)
       SELECT 'Live stream ' || g, 'http://upstream.example/live/' || g, $2, now(), now(), 0, false, false, false, false, 0
         FROM generate_series(1, $1::int) g`,
      [size.channels, data.accounts.providerB],
    );
    await db.client.query(
      `INSERT INTO dispatcharr_channels_channel (name, channel_number, uuid, stream_profile_id, epg_data_id, user_level, auto_created, created_at, updated_at, is_adult, hidden_from_output, is_catchup, catchup_days)
       SELECT 'Live ' || g, 3000 + g, gen_random_uuid(), $2, (SELECT epg_data_id FROM dispatcharr_channels_channel WHERE id = $3),
              0, false, now(), now(), false, false, false, 0
         FROM generate_series(1, $1::int) g`,
      [size.channels, data.streamProfiles.proxy, data.channels.news.id],
    );
    await db.client.query(
      `INSERT INTO dispatcharr_channels_channelstream (channel_id, stream_id, "order")
       SELECT c.id, s.id, 0 FROM dispatcharr_channels_channel c JOIN dispatcharr_channels_stream s ON s.name = 'Live stream ' || (c.channel_number - 3000)::int
        WHERE c.name LIKE 'Live %'`,
    );
    const live = (
      await db.client.query<{ channel_id: string; uuid: string; stream_id: string }>(
        `SELECT c.id::text AS channel_id, c.uuid::text AS uuid, cs.stream_id::text AS stream_id
           FROM dispatcharr_channels_channel c JOIN dispatcharr_channels_channelstream cs ON cs.channel_id = c.id
          WHERE c.name LIKE 'Live %' ORDER BY c.channel_number`,
      )
    ).rows;
    assert.equal(live.length, size.channels);
    const extra = (
      await db.client.query<{ id: string }>(
        `INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, user_level, stream_limit)
         SELECT 'pbkdf2_sha256$fixture', false, 'viewer' || g, '', '', 'viewer' || g || '@example.org', g % 10 = 0, true,
                now() - g * interval '1 day', CASE WHEN g % 10 = 0 THEN 10 ELSE g % 2 END, g % 3
           FROM generate_series(1, $1::int) g
         RETURNING id::text AS id`,
        [size.extraUsers],
      )
    ).rows.map((r) => r.id);
    const viewers = extra.length > 0 ? extra : [data.userId, data.users.admin, data.users.hostile];

    // The live state, written as Dispatcharr's proxies write it: every other channel through ffmpeg.
    const redis = await openRedisWriter(allocateRedisDb());
    try {
      const now = Date.now() / 1000;
      for (const [i, channel] of live.entries()) {
        await startChannel(redis, {
          prefix: 'live:',
          channelId: channel.channel_id,
          uuid: channel.uuid,
          streamId: channel.stream_id,
          m3uProfileId: data.profiles.bDefault,
          profileCapped: false,
          streamProfileId: i % 2 === 0 ? data.streamProfiles.proxy : data.streamProfiles.ffmpeg,
          initTime: now - 600 - i,
          totalBytes: 1_000_000 * (i + 1),
          ...(i % 2 === 0
            ? {}
            : {
                ffmpeg: {
                  codec: 'h264',
                  resolution: '1280x720',
                  fps: '25.0',
                  videoBitrate: '3000.0',
                  outputBitrate: '2800.0',
                  speed: '1.0',
                },
              }),
        });
      }
      for (let i = 0; i < size.clients; i++) {
        await connectClient(redis, {
          prefix: 'live:',
          uuid: live[i % live.length]?.uuid ?? '',
          clientId: `client_${1764000000000 + i}_${String(i).padStart(4, '0')}`,
          ip: `10.1.${i >> 8}.${i & 255}`,
          userAgent: 'TiviMate/5',
          connectedAt: now - 300 - i,
          userId: viewers[i % viewers.length] ?? '0',
          stats: { bytesSent: 10_000_000 + i, avgKiBps: '500.0', currentKiBps: '512.5' },
        });
      }
      for (let i = 0; i < size.vodSessions; i++) {
        await startVod(redis, {
          sessionId: `vod_${1764000100000 + i}_${String(i).padStart(4, '0')}`,
          m3uProfileId: data.profiles.aDefault,
          profileCapped: true,
          activeStreams: 1,
          createdAt: now - 200 - i,
          userId: viewers[(size.clients + i) % viewers.length] ?? '0',
        });
      }

      const results: Partial<Record<Layout, { scrapes: number[]; m: Map<string, ParsedFamily> }>> = {};
      for (const layout of LAYOUTS) {
        const exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db), POSTGRES_USER: 'stmt_counter' }, [
          ...ALL_GATES,
          '--metrics-layout',
          layout,
        ]);
        try {
          const scrapes: number[] = [];
          let first: Map<string, ParsedFamily> | undefined;
          for (let n = 0; n < 2; n++) {
            const before = await statementsRun(admin, db.name);
            const text = await exporter.metrics();
            scrapes.push((await statementsRun(admin, db.name)) - before);
            first ??= parseExposition(text);
          }
          results[layout] = { scrapes, m: first ?? new Map() };
        } finally {
          await exporter.stop();
        }
      }
      const { v2, v3 } = results;
      if (!v2 || !v3) throw new Error('a layout was not measured');
      return { v2, v3 };
    } finally {
      redis.close();
    }
  }

  test('every gate on, both layouts: the same statements per scrape for 3 and for 200 live channels, 5 and 600 clients, 3 and 103 users', async (t) => {
    const smallSize: LiveSize = { label: 'small', channels: 3, clients: 5, vodSessions: 1, extraUsers: 0 };
    const largeSize: LiveSize = { label: 'large', channels: 200, clients: 600, vodSessions: 20, extraUsers: 100 };
    const small = await liveCountFor(smallSize);
    const large = await liveCountFor(largeSize);
    for (const layout of LAYOUTS) {
      t.diagnostic(
        `${layout}: statements per scrape ${small[layout].scrapes.join(', ')} (small), ${large[layout].scrapes.join(', ')} (large)`,
      );
    }
    for (const [size, result] of [
      [smallSize, small],
      [largeSize, large],
    ] as const) {
      for (const layout of LAYOUTS) {
        const { m } = result[layout];
        const what = `${size.label}, ${layout}`;
        assert.equal(sampleValue(m, 'dispatcharr_up'), 1, what);
        assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 1, what);
        const failed = m.get('dispatcharr_exporter_collector_success')?.samples.filter((s) => s.value !== '1') ?? [];
        assert.deepEqual(failed, [], `${what}: every collector succeeded`);
        if (layout === 'v2') {
          assert.equal(sampleValue(m, 'dispatcharr_active_streams'), size.channels, what);
          assert.equal(sampleValue(m, 'dispatcharr_active_clients'), size.clients, what);
        } else {
          assert.equal(sampleValue(m, 'dispatcharr_active_streams', { type: 'live' }), size.channels, what);
          assert.equal(sampleValue(m, 'dispatcharr_active_streams', { type: 'vod' }), size.vodSessions, what);
          assert.equal(sampleValue(m, 'dispatcharr_active_clients'), size.clients + size.vodSessions, what);
        }
        assert.equal(m.get('dispatcharr_stream_metadata')?.samples.filter((s) => s.labels['type'] !== 'vod').length, size.channels, what);
        assert.equal(m.get('dispatcharr_stream_programming')?.samples.length, size.channels, `${what}: now playing on every live channel`);
        assert.equal(sampleValue(m, 'dispatcharr_vod_sessions'), size.vodSessions, what);
        assert.equal(m.get('dispatcharr_user_info')?.samples.length, 3 + size.extraUsers, what);
        const watching = m.get('dispatcharr_user_active_streams')?.samples ?? [];
        assert.equal(
          watching.reduce((sum, s) => sum + Number(s.value), 0),
          size.clients + size.vodSessions,
          `${what}: every client and VOD session carries a known user`,
        );
        const named = m.get('dispatcharr_client_info')?.samples.filter((s) => (s.labels['username'] ?? '') !== '') ?? [];
        assert.equal(named.length, layout === 'v2' ? size.clients : size.clients + size.vodSessions, `${what}: usernames on clients`);
      }
    }
    for (const layout of LAYOUTS) {
      const [first] = small[layout].scrapes;
      // schema level + accounts + EPG sources + channel counts + profiles + live channels + now playing + users + system
      // events, and in the v3 layout the VOD catalogue for the sessions streaming; the clients' usernames come with the users
      assert.equal(first, layout === 'v3' ? 10 : 9, layout);
      assert.deepEqual(small[layout].scrapes, [first, first], `${layout}: the first scrape costs what the next one does`);
      assert.deepEqual(large[layout].scrapes, small[layout].scrapes, `${layout}: independent of live channels, clients and users`);
    }
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
