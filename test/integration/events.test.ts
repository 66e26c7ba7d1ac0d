/**
 * Dispatcharr's system events counted on real PostgreSQL, on both schema levels: each event once, by type and by
 * channel; nothing counted twice after a restart of the exporter; a burst larger than Dispatcharr's rolling window shows
 * as missed events; and the counters stay monotonic across a PostgreSQL restart (whose identity sequence may jump).
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/log.js';
import { readSchemaLevel } from '../../src/sources/dispatcharr-db.js';
import { EventLog } from '../../src/sources/event-log.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { createTestDatabase, postgresConfig, type SchemaVersion, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { EMPTY_REDIS_DB, redisEnv } from '../support/redis.js';
import { startPostgres, type RunningServer } from '../support/servers.js';

/** Inserts events as Dispatcharr's log_system_event does, then trims the table to the newest `keep` rows as it does. */
async function record(
  db: Pick<TestDatabase, 'client'>,
  events: readonly { type: string; channel?: { uuid: string; name: string } }[],
  keep = 100,
) {
  for (const event of events) {
    await db.client.query(
      `INSERT INTO core_systemevent (event_type, "timestamp", channel_id, channel_name, details) VALUES ($1, now(), $2, $3, $4)`,
      [event.type, event.channel?.uuid ?? null, event.channel?.name ?? null, JSON.stringify({ ip: '192.0.2.7', user: 'alice' })],
    );
  }
  await db.client.query(
    `DELETE FROM core_systemevent WHERE id NOT IN (SELECT id FROM core_systemevent ORDER BY "timestamp" DESC, id DESC LIMIT $1)`,
    [keep],
  );
}

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  describe(`system events on the Dispatcharr ${version} schema`, () => {
    let db: TestDatabase;
    let data: SeededDataset;
    let source: PostgresSource;
    const news = () => ({ uuid: data.channels.news.uuid, name: 'old name in the event' });

    before(async () => {
      db = await createTestDatabase(version, 'events');
      data = await seedDataset(db);
      await record(db, [{ type: 'login_success' }, { type: 'channel_start', channel: news() }]); // history before start
      source = new PostgresSource(postgresConfig(db.url), silentLogger);
    });
    after(async () => {
      await source.close();
      await db.drop();
    });

    test('events are counted once each, by type and per channel; history before the start is not', async () => {
      const level = await readSchemaLevel(source);
      const log = new EventLog();
      const first = await log.advance(source, level);
      assert.equal(first.byType['channel_start'], 0);
      assert.equal(first.byType['vod_stop'], 0, 'every known type from the first read');
      assert.deepEqual(first.channels, []);

      await record(db, [
        { type: 'channel_failover', channel: news() },
        { type: 'channel_failover', channel: news() },
        { type: 'channel_buffering', channel: news() },
        { type: 'client_connect', channel: news() },
        { type: 'login_failed' },
        { type: 'channel_error', channel: { uuid: '6f1c2a8e-0000-4000-8000-00000000dead', name: 'deleted' } },
      ]);
      const second = await log.advance(source, level);
      assert.equal(second.byType['channel_failover'], 2);
      assert.equal(second.byType['channel_buffering'], 1);
      assert.equal(second.byType['client_connect'], 1);
      assert.equal(second.byType['login_failed'], 1);
      assert.equal(second.byType['channel_error'], 1);
      assert.equal(second.byType['login_success'], 0);
      assert.deepEqual(second.channels, [
        {
          uuid: data.channels.news.uuid,
          name: version === 'v0.29' ? 'News One HD' : 'News One', // the channel's name now (its override), not the event's
          counts: { channel_start: 0, channel_stop: 0, channel_buffering: 1, channel_failover: 2, channel_reconnect: 0, channel_error: 0 },
        },
      ]);
      assert.equal(second.missed, 0);

      const again = await log.advance(source, level);
      assert.deepEqual(again, second, 'nothing new, nothing counted again');

      const restarted = new EventLog();
      await restarted.advance(source, level);
      await record(db, [{ type: 'channel_stop', channel: news() }]);
      const afterRestart = await restarted.advance(source, level);
      assert.equal(afterRestart.byType['channel_stop'], 1);
      assert.equal(afterRestart.byType['channel_failover'], 0, 'a restart does not count history again');
    });

    test('a burst larger than the rolling window shows as missed events', async () => {
      const level = await readSchemaLevel(source);
      const log = new EventLog();
      await log.advance(source, level);
      await record(
        db,
        Array.from({ length: 25 }, () => ({ type: 'client_connect', channel: news() })),
        10,
      );
      const totals = await log.advance(source, level);
      assert.equal(totals.byType['client_connect'], 10);
      assert.equal(totals.missed, 15);
      await record(db, [{ type: 'logout' }], 10);
      assert.equal((await log.advance(source, level)).missed, 15, 'a window that kept up misses nothing more');
    });

    test('unknown event types are counted under their own name; details never reach the counters', async () => {
      const level = await readSchemaLevel(source);
      const log = new EventLog();
      await log.advance(source, level);
      await record(db, [{ type: 'future_event' }, { type: 'Not A Type!' }]);
      const totals = await log.advance(source, level);
      assert.equal(totals.byType['future_event'], 1);
      assert.equal(totals.byType['other'], 1);
      assert.ok(!JSON.stringify(totals).includes('192.0.2.7'));
    });
  });
}

describe('system events across restarts of the exporter and of PostgreSQL', () => {
  const dir = join(process.env['TEST_TMP'] ?? tmpdir(), `events-${process.pid}`);
  let server: RunningServer;
  let db: TestDatabase;
  let data: SeededDataset;

  before(async () => {
    server = await startPostgres(dir);
    db = await createTestDatabase('v0.29', 'events_restart', server.url);
    data = await seedDataset(db);
  });
  after(async () => {
    await server.stop();
  });

  test('counters go on from where they were after PostgreSQL restarts, and start from the present after the exporter does', async () => {
    const env = { ...postgresEnv(db.url), ...redisEnv(EMPTY_REDIS_DB) };
    const channel = { uuid: data.channels.sports.uuid, name: 'Sports HD' };
    let exporter = await startExporter(env);
    const failovers = async () =>
      sampleValue(parseExposition(await exporter.metrics()), 'dispatcharr_events_total', { event_type: 'channel_failover' });
    try {
      assert.equal(await failovers(), 0);
      await record(db, [
        { type: 'channel_failover', channel },
        { type: 'channel_failover', channel },
      ]);
      assert.equal(await failovers(), 2);
      const perChannel = parseExposition(await exporter.metrics());
      assert.equal(
        sampleValue(perChannel, 'dispatcharr_channel_events_total', { channel_uuid: channel.uuid, event_type: 'channel_failover' }),
        2,
      );

      await db.client.end();
      await server.stop();
      const down = parseExposition(await exporter.metrics());
      assert.equal(sampleValue(down, 'dispatcharr_exporter_collector_success', { collector: 'events' }), 0);
      server = await startPostgres(dir, server.port);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await waitFor('the events to be read again', async () => {
          assert.equal(await failovers(), 2);
        });
        // The identity sequence may jump ahead after a restart: a gap in the ids is not a missed event.
        await record({ client }, [{ type: 'channel_failover', channel }]);
        const after = parseExposition(await exporter.metrics());
        assert.equal(sampleValue(after, 'dispatcharr_events_total', { event_type: 'channel_failover' }), 3);
        assert.equal(sampleValue(after, 'dispatcharr_events_missed_total'), 0);
      } finally {
        await client.end();
      }
    } finally {
      await exporter.stop();
    }
    exporter = await startExporter(env);
    try {
      assert.equal(await failovers(), 0, 'a restarted exporter counts from the present');
    } finally {
      await exporter.stop();
    }
  });
});
