/** The built executable's command line: help, version, refusal of bad configuration, busy ports, Dispatcharr's version. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { seedDataset } from '../fixtures/dataset.js';
import { createTestDatabase, postgresConfig } from '../support/database.js';
import { postgresEnv, runExporterOnce, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { freePort } from '../support/ports.js';
import packageJson from '../../package.json' with { type: 'json' };

test('--version and --help', async () => {
  const version = await runExporterOnce(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `dispatcharr-exporter ${packageJson.version}\n`);
  const help = await runExporterOnce(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--include-epg-stats\[=true\|false\], DISPATCHARR_EXPORTER_INCLUDE_EPG_STATS/);
  assert.match(help.stdout, /POSTGRES_PASSWORD_FILE/);
});

test('bad configuration exits with status 2 and one line naming the setting and the value', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--port', '0'], {}, /invalid port "0" \(from --port\)/],
    [['--port', '70000'], {}, /invalid port "70000"/],
    [[], { DISPATCHARR_EXPORTER_INCLUDE_EPG_STATS: 'maybe' }, /invalid include_epg_stats "maybe"/],
    [['--postgres-password-file', '/nonexistent/pw'], {}, /cannot read postgres_password_file "\/nonexistent\/pw"/],
    [['--frobnicate'], {}, /unknown flag --frobnicate/],
  ];
  for (const [args, env, pattern] of cases) {
    const result = await runExporterOnce(args, env);
    assert.equal(result.code, 2, `${args.join(' ')} ${JSON.stringify(env)}`);
    assert.match(result.stderr, pattern);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
});

test('a port already in use is reported clearly', async () => {
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  try {
    const result = await runExporterOnce(['--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`port ${port} is already in use`));
  } finally {
    blocker.close();
  }
});

test("Dispatcharr's version comes from its API when not configured, unknown when unreachable", async () => {
  const db = await createTestDatabase('v0.15', 'version');
  await seedDataset(db);
  const authorizations: string[] = [];
  const api = createServer((req, res) => {
    if (req.url === '/api/core/version/') {
      authorizations.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: '0.15.1', timestamp: '20251222' }));
    } else {
      res.writeHead(404).end();
    }
  });
  const apiPort = await freePort();
  await new Promise<void>((r) => api.listen(apiPort, '127.0.0.1', r));
  const fromApi = await startExporter(postgresEnv(db.url), ['--base-url', `http://127.0.0.1:${apiPort}/`]);
  // Credentials in base_url (a reverse proxy's basic auth) travel as an Authorization header, and never show.
  const withCredentials = await startExporter({
    ...postgresEnv(db.url),
    DISPATCHARR_EXPORTER_BASE_URL: `http://viewer:pa%24%24@127.0.0.1:${apiPort}`,
  });
  const deadPort = await freePort();
  const unreachable = await startExporter(postgresEnv(db.url), ['--base-url', `http://127.0.0.1:${deadPort}`]);
  try {
    assert.equal(sampleValue(parseExposition(await fromApi.metrics()), 'dispatcharr_info', { version: '0.15.1-20251222' }), 1);
    assert.equal(sampleValue(parseExposition(await unreachable.metrics()), 'dispatcharr_info', { version: 'unknown' }), 1);
    const text = await withCredentials.metrics();
    assert.equal(sampleValue(parseExposition(text), 'dispatcharr_info', { version: '0.15.1-20251222' }), 1);
    assert.ok(authorizations.includes(`Basic ${Buffer.from('viewer:pa$$').toString('base64')}`), authorizations.join());
    assert.ok(!text.includes('pa$$') && !text.includes('pa%24%24') && !withCredentials.output().includes('pa%24%24'));
  } finally {
    await fromApi.stop();
    await withCredentials.stop();
    await unreachable.stop();
    api.close();
    await db.drop();
  }
});

test('the backends are asked at start, so /health is true before the first scrape', async () => {
  const db = await createTestDatabase('v0.29', 'warmup');
  await seedDataset(db);
  const exporter = await startExporter({ ...postgresEnv(db.url), DISPATCHARR_VERSION: '0.29.0' });
  try {
    const health = (await (await exporter.get('/health')).json()) as {
      dispatcharr: { version: string };
      backends: { postgres: { status: string }; redis: { status: string } };
    };
    assert.equal(health.backends.postgres.status, 'up');
    assert.equal(health.backends.redis.status, 'up');
    assert.equal(health.dispatcharr.version, '0.29.0');
  } finally {
    await exporter.stop();
    await db.drop();
  }
});

test('sslmode=require against a server without TLS fails instead of falling back to plain text', async () => {
  const db = await createTestDatabase('v0.29', 'sslrequire');
  const config = postgresConfig(db.url);
  const url = `postgres://${encodeURIComponent(config.user)}:${encodeURIComponent(config.password)}@127.0.0.1:${config.port}/${config.database}?sslmode=require`;
  const exporter = await startExporter({ DATABASE_URL: url });
  try {
    assert.equal(sampleValue(parseExposition(await exporter.metrics()), 'dispatcharr_up'), 0);
    const health = (await (await exporter.get('/health')).json()) as { backends: { postgres: { status: string; last_error: string } } };
    assert.equal(health.backends.postgres.status, 'down');
    assert.match(health.backends.postgres.last_error, /SSL|TLS/i);
  } finally {
    await exporter.stop();
    await db.drop();
  }
});

test('a database without Dispatcharr in it is told apart from an unreachable one', async () => {
  const db = await createTestDatabase('v0.29', 'notdispatcharr');
  await db.client.query('DROP TABLE django_migrations CASCADE');
  const exporter = await startExporter(postgresEnv(db.url));
  try {
    assert.equal(sampleValue(parseExposition(await exporter.metrics()), 'dispatcharr_up'), 0);
    const health = (await (await exporter.get('/health')).json()) as { backends: { postgres: { last_error: string } } };
    assert.equal(health.backends.postgres.last_error, 'this database has no Dispatcharr schema (check POSTGRES_DB)');
    assert.match(exporter.output(), /PostgreSQL answers, but this database has no Dispatcharr schema/);
  } finally {
    await exporter.stop();
    await db.drop();
  }
});
