/**
 * Redis cost and safety: round trips that do not grow with the number of live channels, a read-only
 * ACL user with every gate on, and database families that survive a Redis outage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { connectClient, startChannel } from '../fixtures/redis-writer.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { freePort } from '../support/ports.js';
import { allocateRedisDb, openRedisWriter, redisEnv, redisUrl, type RedisWriter } from '../support/redis.js';
import { ALL_GATES } from '../support/settings.js';

describe('Redis', () => {
  let db: TestDatabase;
  let data: SeededDataset;

  before(async () => {
    db = await createTestDatabase('v0.29', 'redis');
    data = await seedDataset(db);
  });
  after(async () => {
    await db.drop();
  });

  async function roundTripsWith(channels: number): Promise<{ trips: number; commands: number }> {
    const redis = await openRedisWriter(allocateRedisDb());
    try {
      const now = Date.now() / 1000;
      for (let i = 0; i < channels; i++) {
        const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        await startChannel(redis, {
          prefix: 'live:',
          channelId: String(100_000 + i),
          uuid,
          streamId: data.streams.a1,
          m3uProfileId: data.profiles.aDefault,
          profileCapped: false,
          streamProfileId: data.streamProfiles.proxy,
          initTime: now - 100,
          totalBytes: 1000,
          bufferChunks: 2,
        });
        await connectClient(redis, {
          prefix: 'live:',
          uuid,
          clientId: `client_${i}_0001`,
          ip: '192.0.2.1',
          userAgent: 'x',
          connectedAt: now - 5,
        });
      }
      const exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) }, [
        '--include-client-stats',
        '--include-vod-stats',
      ]);
      try {
        await exporter.metrics(); // the first scrape also opens the connection (SELECT)
        const stats = async () => Number(/total_commands_processed:(\d+)/.exec(String((await redis.run(['INFO', 'stats']))[0]))?.[1]);
        const before = await stats();
        const m = parseExposition(await exporter.metrics());
        const commands = (await stats()) - before - 1;
        return { trips: sampleValue(m, 'dispatcharr_exporter_redis_round_trips') ?? NaN, commands };
      } finally {
        await exporter.stop();
      }
    } finally {
      redis.close();
    }
  }

  test('round trips per scrape are the same for 5 and for 500 live channels', async () => {
    const small = await roundTripsWith(5);
    const large = await roundTripsWith(500);
    // DBSIZE, one SCAN page, one batch for metadata, client sets and VOD records, one batch for client hashes.
    assert.equal(small.trips, 4);
    assert.equal(large.trips, small.trips);
    // Redis' own statistics: the commands grow with the channels, the round trips do not.
    assert.ok(large.commands > small.commands * 50, `${small.commands} vs ${large.commands} commands`);
  });

  test('works as an ACL user allowed only read commands, with every gate on', async () => {
    const admin = await openRedisWriter(0);
    const user = `exporter_${process.pid}`;
    try {
      await admin.run(['ACL', 'SETUSER', user, 'reset', 'on', '>read-only-pw', '~*', '&*', '-@all', '+@read']);
      await writeLiveScenario(admin, 'live:', data, true);
      const exporter = await startExporter(
        { ...postgresEnv(db.url), ...redisEnv(0), REDIS_USER: user, REDIS_PASSWORD: 'read-only-pw' },
        ALL_GATES,
      );
      try {
        const m = parseExposition(await exporter.metrics());
        assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 1);
        assert.equal(sampleValue(m, 'dispatcharr_active_streams'), 3);
        assert.equal(sampleValue(m, 'dispatcharr_active_clients'), 4);
        for (const collector of ['streams', 'programming', 'clients', 'vod', 'profile_connections']) {
          assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector }), 1, collector);
        }
        const log = String((await admin.run(['ACL', 'LOG']))[0]);
        assert.ok(!log.includes(user), `the exporter was refused something: ${log}`);
      } finally {
        await exporter.stop();
      }
    } finally {
      await admin.run(['ACL', 'DELUSER', user], ['FLUSHDB']);
      admin.close();
    }
  });

  test('a wrong Redis password is reported, and database families still come out', async () => {
    const exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(3), REDIS_PASSWORD: 'wrong' });
    try {
      const m = parseExposition(await exporter.metrics());
      assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 0);
      assert.equal(sampleValue(m, 'dispatcharr_up'), 1);
      const health = (await (await exporter.get('/health')).json()) as { backends: { redis: { status: string; last_error: string } } };
      assert.equal(health.backends.redis.status, 'down');
      assert.match(health.backends.redis.last_error, /AUTH|password|WRONGPASS/i);
      assert.ok(!health.backends.redis.last_error.includes('wrong'.repeat(2)));
    } finally {
      await exporter.stop();
    }
  });

  test('with Redis unreachable, every database family still comes out and the live collectors say they failed', async () => {
    const deadPort = await freePort();
    const exporter = await startExporter({ ...postgresEnv(db.url), REDIS_HOST: redisUrl().hostname, REDIS_PORT: String(deadPort) }, [
      '--include-epg-stats',
      '--include-client-stats',
      '--include-vod-stats',
    ]);
    try {
      const response = await exporter.get('/metrics');
      assert.equal(response.status, 200);
      const m = parseExposition(await response.text());
      assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 0);
      assert.equal(sampleValue(m, 'dispatcharr_up'), 1);
      assert.equal(sampleValue(m, 'dispatcharr_m3u_accounts', { status: 'total' }), 4);
      assert.equal(sampleValue(m, 'dispatcharr_epg_sources', { status: 'total' }), 3);
      assert.equal(sampleValue(m, 'dispatcharr_channels', { status: 'total' }), 4);
      assert.equal(m.has('dispatcharr_profile_days_to_expiry'), true);
      assert.equal(m.has('dispatcharr_active_streams'), false, 'no invented zero');
      for (const collector of ['streams', 'programming', 'clients', 'vod', 'profile_connections']) {
        assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector }), 0, collector);
      }
      for (const collector of ['m3u', 'epg', 'channels', 'profiles']) {
        assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector }), 1, collector);
      }
    } finally {
      await exporter.stop();
    }
  });
});

describe('Redis writes are impossible', () => {
  let redis: RedisWriter;
  before(async () => {
    redis = await openRedisWriter(allocateRedisDb());
  });
  after(() => redis.close());

  test('the source refuses anything but read commands before it reaches the socket', async () => {
    const { RedisSource } = await import('../../src/sources/redis.js');
    const { silentLogger } = await import('../../src/log.js');
    const url = redisUrl();
    const source = new RedisSource({ host: url.hostname, port: Number(url.port), db: redis.db, tls: false }, silentLogger);
    try {
      for (const command of [
        ['SET', 'x', '1'],
        ['DEL', 'x'],
        ['FLUSHDB'],
        ['CONFIG', 'GET', '*'],
        ['KEYS', '*'],
        ['EVAL', 'return 1', '0'],
      ]) {
        await assert.rejects(source.pipeline([command]), /only read commands are allowed/, command.join(' '));
      }
      assert.equal(source.roundTrips, 0, 'nothing was sent');
      assert.deepEqual(await source.pipeline([['EXISTS', 'x']]), [0]);
    } finally {
      source.close();
    }
  });
});
