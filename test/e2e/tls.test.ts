/** Dispatcharr's TLS variables (v0.22+): POSTGRES_SSL* and REDIS_SSL*, against servers that only speak TLS. */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { seedDataset } from '../fixtures/dataset.js';
import { makeCertificates, type TestCertificates } from '../support/certificates.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { serviceUser, startPostgres, startRedis, type RunningServer } from '../support/servers.js';

describe('TLS connections', () => {
  const dir = join(process.env['TEST_TMP'] ?? tmpdir(), `tls-${process.pid}`);
  let certs: TestCertificates;
  let otherCa: TestCertificates;
  let postgres: RunningServer;
  let redis: RunningServer;
  let db: TestDatabase;

  before(async () => {
    certs = makeCertificates(join(dir, 'certs'));
    otherCa = makeCertificates(join(dir, 'other'), 'unrelated-ca');
    // PostgreSQL wants its key private and owned by the server's user.
    const serverKey = join(dir, 'pg-server.key');
    copyFileSync(certs.key, serverKey);
    chmodSync(serverKey, 0o600);
    const user = serviceUser();
    if ('uid' in user) chownSync(serverKey, user.uid, user.gid);
    postgres = await startPostgres(join(dir, 'postgres'), undefined, [
      'ssl=on',
      `ssl_cert_file=${certs.cert}`,
      `ssl_key_file=${serverKey}`,
    ]);
    redis = await startRedis(join(dir, 'redis'), certs);
    db = await createTestDatabase('v0.29', 'tls', postgres.url);
    await seedDataset(db);
  });
  after(async () => {
    await db.drop();
    await redis.stop();
    await postgres.stop();
  });

  const env = (ca: string) => ({
    ...postgresEnv(db.url),
    POSTGRES_SSL: 'true',
    POSTGRES_SSL_MODE: 'verify-full',
    POSTGRES_SSL_CA_CERT: ca,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    REDIS_SSL: 'true',
    REDIS_SSL_CA_CERT: ca,
  });

  test('verified TLS to PostgreSQL and Redis', async () => {
    const exporter = await startExporter(env(certs.ca));
    try {
      const m = parseExposition(await exporter.metrics());
      assert.equal(sampleValue(m, 'dispatcharr_up'), 1);
      assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 1);
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      const ssl = await admin.query(
        `SELECT bool_and(s.ssl) AS all_ssl, count(*)::int AS n FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
          WHERE a.application_name = 'dispatcharr-exporter'`,
      );
      await admin.end();
      assert.ok((ssl.rows[0]?.n ?? 0) > 0);
      assert.equal(ssl.rows[0]?.all_ssl, true);
    } finally {
      await exporter.stop();
    }
  });

  test('a server certificate from an unknown authority is refused, and said so', async () => {
    const exporter = await startExporter(env(otherCa.ca));
    try {
      const m = parseExposition(await exporter.metrics());
      assert.equal(sampleValue(m, 'dispatcharr_up'), 0);
      assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 0);
      const health = (await (await exporter.get('/health')).json()) as { backends: Record<string, { last_error: string }> };
      assert.match(health.backends['postgres']?.last_error ?? '', /certificate/i);
      assert.match(health.backends['redis']?.last_error ?? '', /certificate/i);
    } finally {
      await exporter.stop();
    }
  });
});
