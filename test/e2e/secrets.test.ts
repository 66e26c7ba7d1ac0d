/**
 * No secret in any output: one run with every family on, debug logging, a password-holding role, credentials and a
 * token in base_url, provider credentials in Redis, and malformed connection URLs; every HTTP response (plain and
 * gzipped) and every log line is searched for each test password and token.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { seedDataset } from '../fixtures/dataset.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { createTestDatabase, databaseUrl, postgresConfig, type TestDatabase } from '../support/database.js';
import { postgresEnv, runExporterOnce, type RunningExporter, startExporter } from '../support/exporter.js';
import { freePort } from '../support/ports.js';
import { allocateRedisDb, openRedisWriter, type RedisWriter, redisEnv } from '../support/redis.js';
import { ALL_GATES } from '../support/settings.js';

const ROLE_PASSWORD = 'role-pw-Zq81';
const BASE_PASSWORD = 'base-pw-Kx27';
const BASE_TOKEN = 'base-token-Lm55';
/** Written into Redis and the database by the fixtures (provider URLs, headers, account passwords). */
const FIXTURE_SECRETS = ['hunter2', 'secret-token', 'vod-secret', 's3cret', 'oldpass'];
const SECRETS = [ROLE_PASSWORD, BASE_PASSWORD, BASE_TOKEN, ...FIXTURE_SECRETS];

function leaks(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret) || text.includes(encodeURIComponent(secret)));
}

describe('secrets', () => {
  let db: TestDatabase;
  let redis: RedisWriter;
  let exporter: RunningExporter;
  const api = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: '0.29.0', timestamp: null }));
  });
  const role = `secrets_${process.pid}`;

  before(async () => {
    db = await createTestDatabase('v0.29', 'secrets');
    const data = await seedDataset(db);
    await db.client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
    await db.client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    redis = await openRedisWriter(allocateRedisDb());
    await writeLiveScenario(redis, 'live:', data, true);
    const apiPort = await freePort();
    await new Promise<void>((r) => api.listen(apiPort, '127.0.0.1', r));
    const env = { ...postgresEnv(databaseUrl(db.name, role, ROLE_PASSWORD)), ...redisEnv(redis.db) };
    exporter = await startExporter(env, [
      ...ALL_GATES,
      '--log-level',
      'debug',
      '--access-log',
      '--base-url',
      `http://admin:${BASE_PASSWORD}@127.0.0.1:${apiPort}/?token=${BASE_TOKEN}`,
    ]);
  });
  after(async () => {
    await exporter.stop();
    api.close();
    redis.close();
    await db.client.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await db.drop();
    await db.client.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  test('no response and no log line of a full run shows a password or token', async () => {
    const bodies: string[] = [await exporter.metrics()];
    // fetch undoes the gzip itself; this checks the compressed path serves the same text.
    const gzipped = await fetch(`${exporter.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzipped.headers.get('content-encoding'), 'gzip');
    bodies.push(await gzipped.text());
    for (const path of ['/health', '/', '/nope']) bodies.push(await (await exporter.get(path)).text());
    assert.ok(bodies[0]?.includes('dispatcharr_stream_metadata'), 'the run saw live data');
    assert.ok(bodies[0]?.includes('dispatcharr_info{version="0.29.0"}'), 'the version was asked with the credentials');
    for (const body of bodies) assert.deepEqual(leaks(body), []);
    assert.deepEqual(leaks(exporter.output()), [], exporter.output());
  });

  test('malformed and refused connection URLs never echo a password', async () => {
    const { port } = postgresConfig(db.url);
    const cases: Record<string, string>[] = [
      { DATABASE_URL: `postgres://u:${ROLE_PASSWORD}/x@127.0.0.1:${port}/db` },
      { DATABASE_URL: `postgres://u:${ROLE_PASSWORD}#x@127.0.0.1/db` },
      { DATABASE_URL: `postgres://u:${ROLE_PASSWORD}%zz@127.0.0.1/db` },
      { DATABASE_URL: `mysql://u:${ROLE_PASSWORD}@127.0.0.1/db` },
      { DATABASE_URL: `postgres://u:${ROLE_PASSWORD}@127.0.0.1/db?bogus=${BASE_TOKEN}` },
      { REDIS_URL: `redis://:${ROLE_PASSWORD}@127.0.0.1:99999/0` },
      { DISPATCHARR_EXPORTER_BASE_URL: `ftp://admin:${BASE_PASSWORD}@host/` },
    ];
    for (const env of cases) {
      const result = await runExporterOnce(['--host', '127.0.0.1', '--port', String(await freePort())], env);
      assert.equal(result.code, 2, JSON.stringify(result));
      assert.deepEqual(leaks(`${result.stdout}${result.stderr}`), [], result.stderr);
    }
  });
});
