/**
 * The stall alert in a real Prometheus with the shipped rules loaded: a stream whose provider sent its last data 30 s
 * ago while clients watch fires DispatcharrStreamStalled; a stream receiving data (last_data rewritten every half
 * second, as Dispatcharr's proxy does at each chunk) does not.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { pyTime } from '../fixtures/redis-writer.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { waitFor } from '../support/ports.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { allocateRedisDb, openRedisWriter, redisEnv, type RedisWriter } from '../support/redis.js';

const RULES = fileURLToPath(new URL('../../monitoring/alerts.yml', import.meta.url));

describe('stalled streams in a real Prometheus with the shipped rules', () => {
  let db: TestDatabase;
  let data: SeededDataset;
  let redis: RedisWriter;
  let exporter: RunningExporter;
  let prometheus: RunningPrometheus;
  let feeding: NodeJS.Timeout | undefined;

  before(async () => {
    db = await createTestDatabase('v0.29', 'stalls');
    data = await seedDataset(db);
    redis = await openRedisWriter(allocateRedisDb());
    await writeLiveScenario(redis, 'live:', data, true);
    const lastData = (uuid: string, at: number) => ['SET', `live:channel:${uuid}:last_data`, pyTime(at), 'EX', '60'];
    await redis.run(lastData(data.channels.sports.uuid, Date.now() / 1000 - 30));
    const feed = () => void redis.run(lastData(data.channels.news.uuid, Date.now() / 1000)).catch(() => undefined);
    feed();
    feeding = setInterval(feed, 500);
    exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) });
    prometheus = await startPrometheus(
      join(process.env['TEST_TMP'] ?? '/tmp', `prometheus-stalls-${process.pid}`),
      [`127.0.0.1:${exporter.port}`],
      {},
      [RULES],
    );
  });
  after(async () => {
    clearInterval(feeding);
    await prometheus?.stop();
    await exporter?.stop();
    redis?.close();
    await db?.drop();
  });

  test('the stream without data for 30 s fires DispatcharrStreamStalled; the one receiving data does not', async () => {
    const firing = async () =>
      (await prometheus.query('ALERTS{alertname="DispatcharrStreamStalled", alertstate="firing"}')).map((r) => r.metric['channel_uuid']);
    await waitFor(
      'the stall alert to fire',
      async () => {
        assert.deepEqual(await firing(), [data.channels.sports.uuid]);
      },
      30_000,
    );
    // A few more evaluations: the healthy stream stays quiet.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.deepEqual(await firing(), [data.channels.sports.uuid]);
    const ages = await prometheus.query('time() - dispatcharr_stream_last_data_timestamp_seconds');
    const age = (uuid: string) => Number(ages.find((r) => r.metric['channel_uuid'] === uuid)?.value[1]);
    assert.ok(age(data.channels.news.uuid) < 5, `healthy stream age ${age(data.channels.news.uuid)}`);
    assert.ok(age(data.channels.sports.uuid) > 30, `stalled stream age ${age(data.channels.sports.uuid)}`);
  });
});
