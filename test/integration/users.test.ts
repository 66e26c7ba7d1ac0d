/**
 * The users reader and the user families against real PostgreSQL (both schema levels) and Redis:
 * every user in one statement, the stream limit only where the column exists, and streams counted
 * from the live state Dispatcharr's proxies write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultCollectors, neededParts, runCollectors } from '../../src/collectors/registry.js';
import { renderExposition } from '../../src/exposition/render.js';
import { silentLogger } from '../../src/log.js';
import { loadSnapshot } from '../../src/scrape/load-snapshot.js';
import { readSchemaLevel } from '../../src/sources/dispatcharr-db.js';
import { readUsers } from '../../src/sources/dispatcharr-users.js';
import type { PostgresSource, Queryable } from '../../src/sources/postgres.js';
import type { RedisSource } from '../../src/sources/redis.js';
import { HOSTILE_USERNAME, type SeededDataset } from '../fixtures/dataset.js';
import { connectClient, startChannel, startVod } from '../fixtures/redis-writer.js';
import type { SchemaVersion, TestDatabase } from '../support/database.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import type { RedisWriter } from '../support/redis.js';
import { defaultSettings } from '../support/settings.js';
import { openSeededSources, type SeededSources, snapshotSources } from '../support/sources.js';

/** A database that records the statements it is given. */
function counting(db: Queryable): Queryable & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    query: <Row>(sql: string, params?: readonly unknown[]) => {
      statements.push(sql);
      return db.query<Row>(sql, params);
    },
  };
}

const epoch = (iso: string) => Date.parse(iso) / 1000;

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  describe(`users on the Dispatcharr ${version} schema`, () => {
    const v29 = version === 'v0.29';
    let db: TestDatabase;
    let data: SeededDataset;
    let source: PostgresSource;
    let writer: RedisWriter;
    let redis: RedisSource;

    let opened: SeededSources;

    before(async () => {
      opened = await openSeededSources(version, 'users');
      ({ db, data, source, writer, redis } = opened);
    });
    after(() => opened.close());

    test('the stream limit column is detected from the accounts migrations (0006, v0.22)', async () => {
      const level = await readSchemaLevel(source);
      assert.equal(level.userStreamLimitColumn, v29);
      assert.equal(level.migrations['accounts'], v29 ? 6 : 3);
    });

    test('every user, active or not, in id order, text as stored; no limit before v0.22', async () => {
      const db1 = counting(source);
      const users = await readUsers(db1, await readSchemaLevel(source));
      assert.equal(db1.statements.length, 1);
      assert.deepEqual(users, [
        { id: data.userId, username: 'alice', level: 1, isStaff: false, dateJoined: epoch('2024-03-01T12:00:00Z'), streamLimit: 0 },
        {
          id: data.users.admin,
          username: 'admin',
          level: 10,
          isStaff: true,
          dateJoined: epoch('2023-11-14T22:13:20Z'),
          streamLimit: v29 ? 2 : 0,
        },
        {
          id: data.users.hostile,
          username: HOSTILE_USERNAME,
          level: 0,
          isStaff: false,
          dateJoined: epoch('2024-06-30T00:00:00Z'),
          streamLimit: 0,
        },
      ]);
    });

    test('a scrape with the gate on runs one statement more than with it off, and that one reads the users', async () => {
      const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });
      const scrape = async (settings: ReturnType<typeof defaultSettings>) => {
        const db1 = counting(source);
        await loadSnapshot(snapshotSources(db1, redis), neededParts(collectors, settings), Date.now() + 5000);
        return db1.statements;
      };
      const off = await scrape(defaultSettings());
      const on = await scrape(defaultSettings({ include_user_stats: true }));
      assert.equal(on.length, off.length + 1);
      assert.equal(off.filter((sql) => sql.includes('accounts_user')).length, 0);
      assert.equal(on.filter((sql) => /FROM accounts_user\b/.test(sql)).length, 1);
    });

    test('streams per user from live clients and streaming VOD sessions, zeros included', async () => {
      const now = Date.now() / 1000;
      const prefix = v29 ? 'live:' : 'ts_proxy:';
      await startChannel(writer, {
        prefix,
        channelId: data.channels.news.id,
        uuid: data.channels.news.uuid,
        streamId: data.streams.a1,
        m3uProfileId: data.profiles.aDefault,
        profileCapped: true,
        streamProfileId: data.streamProfiles.proxy,
        initTime: now - 60,
      });
      // Clients carry user_id from Dispatcharr v0.22; before, every live client is anonymous.
      const client = (clientId: string, userId: string) =>
        connectClient(writer, {
          prefix,
          uuid: data.channels.news.uuid,
          clientId,
          ip: '192.0.2.1',
          userAgent: 'VLC',
          connectedAt: now - 30,
          ...(v29 ? { userId } : {}),
        });
      await client('client_1', data.userId);
      await client('client_2', '0');
      const vod = (sessionId: string, activeStreams: number, userId: string) =>
        startVod(writer, { sessionId, m3uProfileId: data.profiles.aBackup, profileCapped: false, activeStreams, createdAt: now, userId });
      await vod('vod_1_1', 1, data.users.hostile);
      await vod('vod_2_2', 0, data.users.admin);
      await vod('vod_3_3', 1, '0');

      const settings = defaultSettings({ include_user_stats: true });
      const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });
      const snapshot = await loadSnapshot(snapshotSources(source, redis), neededParts(collectors, settings), Date.now() + 5000);
      const { families, outcomes } = runCollectors(collectors, snapshot, settings, silentLogger);
      const m = parseExposition(renderExposition(families));
      assert.ok(outcomes.every((o) => o.success));
      assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { username: 'alice' }), v29 ? 1 : 0);
      assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { username: 'admin' }), 0, 'its session has no open response');
      assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { username: HOSTILE_USERNAME }), 1);
      assert.equal(sampleValue(m, 'dispatcharr_user_stream_limit', { user_id: data.users.admin }), v29 ? 2 : 0);
      assert.deepEqual(
        m.get('dispatcharr_user_info')?.samples.map((s) => [s.labels['user_id'], s.labels['user_level'], s.labels['is_staff']]),
        [
          [data.userId, 'standard', 'false'],
          [data.users.admin, 'admin', 'true'],
          [data.users.hostile, 'streamer', 'false'],
        ],
      );
      assert.equal(sampleValue(m, 'dispatcharr_user_date_joined_timestamp', { username: HOSTILE_USERNAME }), epoch('2024-06-30T00:00:00Z'));
    });

    test('still one statement with many users, ordered by id as a number (9 < 10 < 100)', async () => {
      await db.client.query(
        `INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, user_level
                                    ${v29 ? ', stream_limit' : ''})
         SELECT '', false, 'bulk ' || g, '', '', '', false, true, now(), 1 ${v29 ? ', 0' : ''} FROM generate_series(1, 500) g`,
      );
      const db1 = counting(source);
      const users = await readUsers(db1, await readSchemaLevel(source));
      assert.equal(db1.statements.length, 1);
      assert.equal(users.length, 503);
      const ids = users.map((u) => Number(u.id));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
    });
  });
}
