/**
 * Deadlines per request and a budget per source, with a real Redis frozen (SIGSTOP): PostgreSQL's families keep
 * coming out, and two concurrent scrapes share one collection but each answers within its own deadline.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seedDataset } from '../fixtures/dataset.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, type RunningExporter, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { type RunningServer, startRedis } from '../support/servers.js';

const POSTGRES_ONLY = ['m3u', 'channels', 'profiles'];

async function timedScrape(exporter: RunningExporter, timeoutSeconds: number): Promise<{ seconds: number; text: string }> {
  const started = performance.now();
  const response = await exporter.get('/metrics', { 'x-prometheus-scrape-timeout-seconds': String(timeoutSeconds) });
  assert.equal(response.status, 200);
  const text = await response.text();
  return { seconds: (performance.now() - started) / 1000, text };
}

const success = (text: string, collector: string) =>
  sampleValue(parseExposition(text), 'dispatcharr_exporter_collector_success', { collector });

describe('a frozen Redis', () => {
  let db: TestDatabase;
  let redis: RunningServer;
  let exporter: RunningExporter;
  const freeze = () => process.kill(redis.pid ?? 0, 'SIGSTOP');
  const thaw = () => process.kill(redis.pid ?? 0, 'SIGCONT');

  before(async () => {
    db = await createTestDatabase('v0.29', 'frozen');
    await seedDataset(db);
    redis = await startRedis(join(process.env['TEST_TMP'] ?? '/tmp', `redis-frozen-${process.pid}`));
    assert.ok(redis.pid);
    exporter = await startExporter({ ...postgresEnv(db.url), REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) }, [
      '--scrape-timeout',
      '10',
    ]);
    await exporter.metrics(); // connects to Redis before it freezes
  });
  after(async () => {
    thaw();
    await exporter.stop();
    await redis.stop();
    await db.drop();
  });

  test('costs only the families that need Redis: PostgreSQL families succeed in every scrape while it is frozen for 20 s', async () => {
    freeze();
    const figures: number[] = [];
    try {
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        const { seconds, text } = await timedScrape(exporter, 1.5);
        figures.push(seconds);
        assert.ok(seconds < 1.5, `answered within its 1.5 s deadline (${seconds.toFixed(2)} s)`);
        assert.equal(sampleValue(parseExposition(text), 'dispatcharr_up'), 1);
        for (const collector of POSTGRES_ONLY) assert.equal(success(text, collector), 1, collector);
        assert.equal(success(text, 'streams'), 0, 'the live families wait for Redis');
      }
    } finally {
      thaw();
    }
    assert.ok(figures.length >= 10, `${figures.length} scrapes`);
    process.stdout.write(`# ${figures.length} scrapes while Redis was frozen for 20 s, slowest ${Math.max(...figures).toFixed(2)} s\n`);
  });

  test('two concurrent scrapes share a collection but not a deadline (2 s and 10 s)', async () => {
    // Let the collection started while Redis was frozen end, so the next one starts fresh.
    await timedScrape(exporter, 10);
    freeze();
    setTimeout(thaw, 4_000);
    const [short, long] = await Promise.all([timedScrape(exporter, 2), timedScrape(exporter, 10)]);
    assert.ok(short.seconds < 2, `the 2 s scrape answered in ${short.seconds.toFixed(2)} s`);
    assert.equal(success(short.text, 'streams'), 0, 'with what was ready');
    for (const collector of POSTGRES_ONLY) assert.equal(success(short.text, collector), 1, collector);
    assert.ok(long.seconds > 3.5 && long.seconds < 10, `the 10 s scrape waited for Redis: ${long.seconds.toFixed(2)} s`);
    assert.equal(success(long.text, 'streams'), 1, 'and got the live families');
    process.stdout.write(
      `# concurrent scrapes: 2 s deadline answered in ${short.seconds.toFixed(2)} s, 10 s in ${long.seconds.toFixed(2)} s\n`,
    );
  });
});
