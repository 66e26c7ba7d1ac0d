/**
 * Nothing the exporter does can change Dispatcharr's data: it works as a SELECT-only role, and even a
 * session that tried could not write. Hostile names from providers come through a real Prometheus intact.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/log.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { startChannel } from '../fixtures/redis-writer.js';
import { allocateRedisDb, openRedisWriter, redisEnv, type RedisWriter } from '../support/redis.js';
import { createTestDatabase, databaseUrl, postgresConfig, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

describe('read-only role', () => {
  let db: TestDatabase;
  const role = `exporter_ro_${process.pid}`;
  const password = 'ro-password';

  before(async () => {
    db = await createTestDatabase('v0.29', 'readonly');
    await seedDataset(db);
    await db.client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await db.client.query(`GRANT CONNECT ON DATABASE ${db.name} TO ${role}`);
    await db.client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await db.client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    await db.client.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  });
  after(async () => {
    await db.drop();
    const admin = new pg.Client({ connectionString: process.env['TEST_POSTGRES_URL'] });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  test('the exporter serves every database family as a SELECT-only role', async () => {
    const exporter = await startExporter({ ...postgresEnv(db.url), POSTGRES_USER: role, POSTGRES_PASSWORD: password }, [
      '--include-epg-stats',
      '--include-legacy-metrics',
    ]);
    try {
      const m = parseExposition(await exporter.metrics());
      assert.equal(sampleValue(m, 'dispatcharr_up'), 1);
      for (const collector of ['core', 'm3u', 'epg', 'channels', 'profiles']) {
        assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector }), 1, collector);
      }
    } finally {
      await exporter.stop();
    }
  });

  test("a write through the exporter's own session is refused twice over", async () => {
    const source = new PostgresSource({ ...postgresConfig(db.url), user: role, password }, silentLogger);
    try {
      await assert.rejects(source.query(`DELETE FROM m3u_m3uaccount`), /read-only transaction/);
      await assert.rejects(source.query(`CREATE TABLE intruder (id int)`), /read-only transaction/);
    } finally {
      await source.close();
    }
    // Even with read-only switched off, the role's grants stop every write.
    const client = new pg.Client({ connectionString: databaseUrl(db.name, role, password) });
    await client.connect();
    try {
      await client.query('SET default_transaction_read_only = off');
      await assert.rejects(client.query(`UPDATE m3u_m3uaccount SET name = 'x'`), /permission denied/);
      await assert.rejects(client.query(`INSERT INTO dispatcharr_channels_channelgroup (name) VALUES ('x')`), /permission denied/);
      await assert.rejects(client.query(`TRUNCATE epg_epgsource`), /permission denied/);
      await assert.rejects(client.query(`CREATE TABLE intruder (id int)`), /permission denied/);
    } finally {
      await client.end();
    }
    const count = await db.client.query(`SELECT count(*)::int AS n FROM m3u_m3uaccount WHERE name = 'x'`);
    assert.equal(count.rows[0]?.n, 0);
  });
});

const HOSTILE_NAMES = ['Quote "q" provider', 'Back\\slash\\', 'Two\nlines', 'Ünïcødé 📺 チャンネル', '{evil="1"},x', 'a'.repeat(255)];

const LONG_CHANNEL_NAME = `Ch "quoted" \\ back\nnew 📺 ${'x'.repeat(500)}`.slice(0, 500);
const epgName = (name: string) => `EPG ${name}`.slice(0, 255);

describe('hostile names through a real Prometheus', () => {
  let db: TestDatabase;
  let exporter: RunningExporter;
  let prometheus: RunningPrometheus;
  let redis: RedisWriter;
  let data: SeededDataset;
  const longUrl = `http://provider.example/${'p'.repeat(470)}?password=hunter2`;

  before(async () => {
    db = await createTestDatabase('v0.29', 'hostile');
    data = await seedDataset(db);
    for (const [i, name] of HOSTILE_NAMES.entries()) {
      await db.insert('m3u_m3uaccount', {
        name,
        account_type: 'XC',
        status: 'success',
        is_active: true,
        locked: false,
        max_streams: 0,
        refresh_interval: 24,
        stale_stream_days: 7,
        priority: 0,
        created_at: new Date(),
        username: `user "${i}"\\`,
        server_url: i === 0 ? longUrl : `http://h${i}.example`,
      });
      await db.insert('epg_epgsource', {
        name: epgName(name),
        source_type: 'xmltv',
        status: 'idle',
        refresh_interval: 24,
        created_at: new Date(),
        priority: i,
        is_active: true,
      });
    }
    // A live channel with a 500-character name full of characters that need escaping (names are varchar(512) from v0.24).
    const uuid = crypto.randomUUID();
    const channelId = await db.insert('dispatcharr_channels_channel', {
      name: LONG_CHANNEL_NAME,
      channel_number: 42,
      uuid,
      user_level: 0,
      auto_created: false,
      created_at: new Date(),
      updated_at: new Date(),
    });
    redis = await openRedisWriter(allocateRedisDb());
    await startChannel(redis, {
      prefix: 'live:',
      channelId,
      uuid,
      streamId: data.streams.a1,
      m3uProfileId: data.profiles.aDefault,
      profileCapped: true,
      streamProfileId: data.streamProfiles.proxy,
      initTime: Date.now() / 1000 - 30,
      totalBytes: 1000,
    });
    exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) }, ['--include-epg-stats', '--include-source-urls']);
    prometheus = await startPrometheus(join(process.env['TEST_TMP'] ?? '/tmp', `prometheus-hostile-${process.pid}`), [
      `127.0.0.1:${exporter.port}`,
    ]);
  });
  after(async () => {
    await prometheus.stop();
    await exporter.stop();
    redis.close();
    await db.drop();
  });

  test('the exporter output parses strictly and keeps every name byte for byte', async () => {
    const m = parseExposition(await exporter.metrics());
    const names = m.get('dispatcharr_m3u_account_stream_count')?.samples.map((s) => s.labels['account_name']) ?? [];
    for (const name of HOSTILE_NAMES) assert.ok(names.includes(name), JSON.stringify(name));
  });

  test('Prometheus scrapes it and returns the same label values', async () => {
    const series = await waitFor(
      'Prometheus to store the hostile series',
      async () => {
        const result = await prometheus.query('dispatcharr_m3u_account_stream_count');
        if (result.length < HOSTILE_NAMES.length + 4) throw new Error(`only ${result.length} series so far`);
        return result;
      },
      30_000,
      500,
    );
    const stored = series.map((s) => s.metric['account_name']);
    for (const name of HOSTILE_NAMES) assert.ok(stored.includes(name), `Prometheus lost ${JSON.stringify(name)}`);
    const first = series.find((s) => s.metric['account_name'] === HOSTILE_NAMES[0]);
    assert.equal(first?.metric['username'], 'user "0"\\');
    assert.equal(first?.metric['server_url'], longUrl.replace('hunter2', 'REDACTED'));
    assert.equal(first?.metric['server_url']?.length, longUrl.length + 1);
    const epg = await prometheus.query('dispatcharr_epg_source_priority');
    for (const name of HOSTILE_NAMES)
      assert.ok(
        epg.some((s) => s.metric['source_name'] === epgName(name)),
        epgName(name),
      );
    const channel = await prometheus.query('dispatcharr_stream_metadata');
    assert.equal(channel[0]?.metric['channel_name'], LONG_CHANNEL_NAME);
    assert.equal(channel[0]?.metric['channel_name']?.length, 500);
    const up = await prometheus.query('up');
    assert.equal(up[0]?.value[1], '1', 'the scrape succeeded');
  });
});
