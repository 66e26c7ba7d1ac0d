/**
 * Malformed values in real Redis and PostgreSQL: the realistic live scenario records none, then values written
 * where Dispatcharr writes numbers, timestamps, ids and expiries raise dispatcharr_exporter_skipped_values_total
 * by one per value and scrape, with one warning per source and reason (rate-limited to a minute) that names the
 * key and never the value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { writeLiveScenario, type LiveScenario } from '../fixtures/live-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { allocateRedisDb, openRedisWriter, redisEnv, type RedisWriter } from '../support/redis.js';
import { ALL_GATES } from '../support/settings.js';
import { SKIP_REASONS } from '../../src/skips.js';

const FAMILY = 'dispatcharr_exporter_skipped_values_total';
/** The malformed values, distinctive enough to be looked for in the exporter's output. */
const BAD = { fps: 'fast-as-light', userId: 'abc-hostile', expiry: 'soon-ish-expiry' } as const;
const LOG_MESSAGE = 'msg="skipped malformed values"';

describe('malformed values in real Redis and PostgreSQL', () => {
  let db: TestDatabase;
  let data: SeededDataset;
  let redis: RedisWriter;
  let scenario: LiveScenario;
  let exporter: RunningExporter;

  const counts = async (): Promise<Record<string, number>> => {
    const m = parseExposition(await exporter.metrics());
    assert.equal(m.get(FAMILY)?.type, 'counter');
    const all: Record<string, number> = {};
    for (const [source, reasons] of Object.entries(SKIP_REASONS)) {
      for (const reason of reasons) {
        const value = sampleValue(m, FAMILY, { source, reason });
        assert.notEqual(value, undefined, `${source}/${reason} is present`);
        all[`${source}/${reason}`] = value ?? Number.NaN;
      }
    }
    return all;
  };
  const warnings = () =>
    exporter
      .output()
      .split('\n')
      .filter((line) => line.includes(LOG_MESSAGE));

  before(async () => {
    db = await createTestDatabase('v0.29', 'skips');
    data = await seedDataset(db);
    redis = await openRedisWriter(allocateRedisDb());
    scenario = await writeLiveScenario(redis, 'live:', data, true);
    exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) }, [...ALL_GATES, '--metrics-layout', 'v3']);
  });
  after(async () => {
    await exporter?.stop();
    redis?.close();
    await db?.drop();
  });

  test("Dispatcharr's own data, ghosts, previews and expired keys included, is not malformed", async () => {
    const before = await counts();
    assert.ok(
      Object.values(before).every((v) => v === 0),
      JSON.stringify(before),
    );
    assert.deepEqual(warnings(), []);
  });

  test('each malformed value counts once per scrape, and each kind is logged once a minute with a key, not a value', async () => {
    const { channels } = data;
    await redis.run(
      ['HSET', `live:channel:${channels.news.uuid}:metadata`, 'source_fps', BAD.fps],
      ['HSET', `live:channel:${channels.sports.uuid}:metadata`, 'init_time', String(scenario.now + 3600)],
      ['HSET', `live:channel:${channels.news.uuid}:clients:${scenario.clients.newsA}`, 'user_id', BAD.userId],
    );
    // Backup login has no exp_date column value, so its XC user_info.exp_date is read.
    await db.client.query('UPDATE m3u_m3uaccountprofile SET custom_properties = $1 WHERE id = $2', [
      JSON.stringify({ user_info: { exp_date: BAD.expiry } }),
      data.profiles.aBackup,
    ]);
    const first = await counts();
    const second = await counts();
    const expected: Record<string, number> = {
      'redis/not_a_number': 1,
      'redis/future_timestamp': 1,
      'redis/not_an_id': 1,
      'postgres/bad_expiry': 1,
    };
    for (const kind of Object.keys(first)) {
      assert.equal(second[kind], (first[kind] ?? 0) + (expected[kind] ?? 0), kind);
      assert.ok((first[kind] ?? 0) >= (expected[kind] ?? 0), `${kind} counted in the first scrape after the write`);
    }

    await waitFor('a warning per kind', async () => assert.equal(warnings().length, 4));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = warnings();
    assert.equal(lines.length, 4, lines.join('\n'));
    const line = (source: string, reason: string) => lines.find((l) => l.includes(`source=${source} reason=${reason} `));
    assert.match(
      line('redis', 'not_a_number') ?? '',
      new RegExp(
        `^time=\\S+ level=warn ${LOG_MESSAGE} source=redis reason=not_a_number count=1 example_key=live:channel:${channels.news.uuid}:metadata example_field=source_fps$`,
      ),
    );
    assert.match(line('redis', 'future_timestamp') ?? '', /example_field=init_time$/);
    assert.match(
      line('redis', 'not_an_id') ?? '',
      new RegExp(`example_key=live:channel:${channels.news.uuid}:clients:${scenario.clients.newsA} example_field=user_id$`),
    );
    assert.match(
      line('postgres', 'bad_expiry') ?? '',
      new RegExp(`example_key=m3u_m3uaccountprofile:${data.profiles.aBackup} example_field=custom_properties.user_info.exp_date$`),
    );
    for (const value of Object.values(BAD)) assert.ok(!exporter.output().includes(value), `${value} is not logged`);
  });
});
