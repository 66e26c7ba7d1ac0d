/**
 * The web configuration file, end to end: promtool accepts what the exporter accepts, a real Prometheus scrapes
 * over HTTPS with basic auth, every path is 401 without the right credentials, plain HTTP to the TLS port fails
 * cleanly, mutual TLS refuses clients without a certificate of the CA, edits apply without a restart (a broken
 * one is logged and the last good configuration stays), and the HTTP limits hold on the TLS port.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { hashSync } from 'bcryptjs';
import { makeCertificates, makeClientCertificate, type TestCertificates } from '../support/certificates.js';
import { clientGet, type ExporterClient, type RunningExporter, runExporterOnce, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { freePort, openIdleConnections, waitFor } from '../support/ports.js';
import { promtoolCheckWebConfig, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';

const dir = join(process.env['TEST_TMP'] ?? tmpdir(), `web-config-${process.pid}`);
const PASSWORD = 'correct horse battery staple';
/** Cost 10, as htpasswd -B makes by default. */
const HASH = hashSync(PASSWORD, 10);

/** Sends raw bytes over TCP and returns what came back before the server closed the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer')));
    socket.on('timeout', () => reject(new Error('the server kept the connection open')));
  });
}

/** Sends raw bytes over TLS and returns the answer (up to the server's close). */
function tlsExchange(port: number, ca: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', ca }, () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

/** Resolves when the server has closed the connection (the socket must be reading to notice). */
function closed(socket: Socket): Promise<void> {
  socket.resume();
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

function webConfig(
  users: Record<string, string>,
  tls: string[] = ['  cert_file: certs/server.pem', '  key_file: certs/server.key'],
): string {
  return [
    'tls_server_config:',
    ...tls,
    'http_server_config:',
    '  headers:',
    '    X-Content-Type-Options: nosniff',
    'basic_auth_users:',
    ...Object.entries(users).map(([user, hash]) => `  ${user}: ${hash}`),
    '',
  ].join('\n');
}

describe('web configuration file: HTTPS and basic auth', () => {
  const file = join(dir, 'web.yml');
  let certs: TestCertificates;
  let ca: string;
  let exporter: RunningExporter;
  let prometheus: RunningPrometheus | undefined;
  let backends: Record<string, string>;

  before(async () => {
    certs = makeCertificates(join(dir, 'certs'));
    ca = readFileSync(certs.ca, 'utf8');
    // No backends: the answers come fast and say the database is down, which is all these tests need.
    const closedPort = String(await freePort());
    backends = { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: closedPort, REDIS_HOST: '127.0.0.1', REDIS_PORT: closedPort };
    writeFileSync(file, webConfig({ prometheus: HASH }));
    exporter = await startExporter(backends, [`--web.config.file=${file}`, '--max-connections', '16'], {
      ca,
      user: 'prometheus',
      password: PASSWORD,
    });
  });
  after(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  test('promtool accepts the file the exporter runs with', () => {
    const check = promtoolCheckWebConfig(file);
    assert.equal(check.status, 0, check.output);
    assert.match(exporter.output(), /msg="web config file loaded" file=\S+web\.yml tls=NoClientCert basic_auth_users=1/);
    assert.match(exporter.output(), /msg=listening .*address=https:\/\/127\.0\.0\.1:\d+\/metrics/);
  });

  test('a real Prometheus scrapes it over HTTPS with basic auth', async () => {
    prometheus = await startPrometheus(join(dir, 'prometheus'), [`127.0.0.1:${exporter.port}`], {
      scheme: 'https',
      tls_config: { ca_file: certs.ca },
      basic_auth: { username: 'prometheus', password: PASSWORD },
    });
    const server = prometheus;
    await waitFor(
      'Prometheus to scrape dispatcharr_up',
      async () => {
        const up = await server.query('up{job="dispatcharr"}');
        assert.equal(up[0]?.value[1], '1', 'the scrape succeeds');
        const result = await server.query('dispatcharr_up');
        assert.equal(result[0]?.value[1], '0', 'no database: dispatcharr_up 0');
      },
      30_000,
      250,
    );
  });

  test('every path answers 401 with a Basic challenge without the right credentials', async () => {
    const anonymous = clientGet(exporter.url, { ca });
    const wrong = clientGet(exporter.url, { ca, user: 'prometheus', password: 'Correct horse battery staple' });
    const unknown = clientGet(exporter.url, { ca, user: 'mallory', password: PASSWORD });
    for (const path of ['/', '/metrics', '/health', '/no-such-page']) {
      for (const [who, get] of [
        ['no credentials', anonymous],
        ['a wrong password', wrong],
        ['an unknown user', unknown],
      ] as const) {
        const response = await get(path);
        assert.equal(response.status, 401, `${path} with ${who}`);
        assert.equal(response.headers.get('www-authenticate'), 'Basic realm="dispatcharr-exporter"');
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
        assert.doesNotMatch(await response.text(), /dispatcharr_/);
      }
    }
    const garbage = await anonymous('/metrics', { authorization: 'Basic !!!' });
    assert.equal(garbage.status, 401);
    const metrics = await exporter.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(sampleValue(parseExposition(await metrics.text()), 'dispatcharr_up'), 0);
    assert.equal((await exporter.get('/no-such-page')).status, 404);
  });

  test('plain HTTP to the TLS port fails cleanly and the exporter keeps serving', async () => {
    const answer = await rawExchange(exporter.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.doesNotMatch(answer, /dispatcharr_/);
    assert.doesNotMatch(answer, /^HTTP\/1\.1 200/);
    await assert.rejects(fetch(`http://127.0.0.1:${exporter.port}/metrics`));
    assert.equal(exporter.child.exitCode, null);
    assert.equal((await exporter.get('/health')).status, 200);
  });

  test('the HTTP limits hold on the TLS port: a body is 413, an idle flood does not lock scrapes out', async () => {
    const auth = `Basic ${Buffer.from(`prometheus:${PASSWORD}`).toString('base64')}`;
    const answer = await tlsExchange(
      exporter.port,
      ca,
      `GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 100000\r\n\r\nonly a few bytes`,
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    const unauthenticated = await tlsExchange(exporter.port, ca, 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nsome');
    assert.match(unauthenticated, /^HTTP\/1\.1 401 /);
    assert.match(unauthenticated, /\r\nConnection: close\r\n/i, 'an unread body closes the connection');

    const idle = await openIdleConnections(exporter.port, 60);
    // One that completes its TLS handshake and then says nothing.
    const handshaken = await new Promise<Socket>((resolve, reject) => {
      const socket = tlsConnect({ port: exporter.port, host: '127.0.0.1', ca }, () => resolve(socket));
      socket.on('error', () => undefined);
      socket.once('error', reject);
    });
    try {
      const started = Date.now();
      assert.equal((await exporter.get('/metrics')).status, 200);
      assert.ok(Date.now() - started < 5_000, 'answered while the flood is open');
      let evicted = 0;
      for (const socket of idle) void closed(socket).then(() => evicted++);
      await waitFor(
        'the cap to close the oldest idle connections',
        async () => assert.ok(evicted >= 60 - 16, `${evicted} closed`),
        5_000,
        50,
      );
      // Connections that send no request are closed: without a handshake after 10 s, after one by the headers timeout.
      await Promise.race([
        Promise.all([...idle.map(closed), closed(handshaken)]),
        new Promise((_, reject) => setTimeout(() => reject(new Error('idle connections still open after 15 s')), 15_000)),
      ]);
    } finally {
      for (const socket of [...idle, handshaken]) socket.destroy();
    }
  });

  test('an edit applies without a restart; a broken one is logged and the last good configuration stays', async () => {
    const grafana = clientGet(exporter.url, { ca, user: 'grafana', password: 'dashboards' });
    assert.equal((await grafana('/metrics')).status, 401);
    writeFileSync(file, webConfig({ prometheus: HASH, grafana: hashSync('dashboards', 10) }));
    await waitFor(
      'the new user to be accepted',
      async () => {
        const status = (await grafana('/metrics')).status;
        if (status !== 200) throw new Error(`answered ${status}`);
      },
      10_000,
      200,
    );
    assert.match(exporter.output(), /msg="web config file reloaded" .*basic_auth_users=2/);

    writeFileSync(file, 'basic_auth_users:\n  grafana: [\n');
    await waitFor(
      'the broken file to be reported',
      async () =>
        assert.match(exporter.output(), /level=error msg="web config file not applied; the previous configuration stays" .*not valid YAML/),
      10_000,
      200,
    );
    assert.equal((await grafana('/metrics')).status, 200, 'the last good configuration stays');
    assert.equal((await exporter.get('/metrics')).status, 200);

    // Switching TLS off needs a restart: refused the same way.
    writeFileSync(file, `basic_auth_users:\n  prometheus: ${HASH}\n`);
    await waitFor(
      'the TLS switch to be refused',
      async () => assert.match(exporter.output(), /switching TLS off needs a restart/),
      10_000,
      200,
    );
    assert.equal((await exporter.get('/health')).status, 200);
    assert.equal(exporter.child.exitCode, null);
  });
});

describe('web configuration file: mutual TLS', () => {
  const file = join(dir, 'mtls', 'web.yml');
  let exporter: RunningExporter;
  let certs: TestCertificates;
  let client: ExporterClient;
  let stranger: ExporterClient;
  let ca: string;

  const writeConfig = (clientAuthType: string) =>
    writeFileSync(
      file,
      [
        'tls_server_config:',
        `  cert_file: ${certs.cert}`,
        `  key_file: ${certs.key}`,
        `  client_ca_file: ${certs.ca}`,
        `  client_auth_type: ${clientAuthType}`,
        '  min_version: TLS12',
        '',
      ].join('\n'),
    );

  before(async () => {
    certs = makeCertificates(join(dir, 'mtls', 'certs'));
    const issued = makeClientCertificate(join(dir, 'mtls', 'certs'));
    // A client certificate of another CA.
    makeCertificates(join(dir, 'mtls', 'other'), 'other-ca');
    const foreign = makeClientCertificate(join(dir, 'mtls', 'other'), 'stranger');
    ca = readFileSync(certs.ca, 'utf8');
    client = { ca, cert: readFileSync(issued.cert, 'utf8'), key: readFileSync(issued.key, 'utf8') };
    stranger = { ca, cert: readFileSync(foreign.cert, 'utf8'), key: readFileSync(foreign.key, 'utf8') };
    writeConfig('RequireAndVerifyClientCert');
    const closedPort = String(await freePort());
    exporter = await startExporter(
      { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: closedPort, REDIS_HOST: '127.0.0.1', REDIS_PORT: closedPort },
      ['--web-config-file', file],
      client,
    );
  });
  after(() => exporter.stop());

  test('RequireAndVerifyClientCert: a client without a certificate, or with one of another CA, is refused', async () => {
    const check = promtoolCheckWebConfig(file);
    assert.equal(check.status, 0, check.output);
    await assert.rejects(clientGet(exporter.url, { ca })('/metrics'));
    await assert.rejects(clientGet(exporter.url, stranger)('/metrics'));
    const response = await exporter.get('/metrics');
    assert.equal(response.status, 200);
    assert.equal(sampleValue(parseExposition(await response.text()), 'dispatcharr_up'), 0);
  });

  test('a change of client_auth_type applies to new connections without a restart', async () => {
    writeConfig('VerifyClientCertIfGiven');
    // VerifyClientCertIfGiven: no certificate is fine, a certificate of another CA is still refused.
    await waitFor(
      'a client without a certificate to be let in',
      async () => assert.equal((await clientGet(exporter.url, { ca })('/health')).status, 200),
      10_000,
      200,
    );
    await assert.rejects(clientGet(exporter.url, stranger)('/metrics'));
    assert.equal((await exporter.get('/metrics')).status, 200);
  });

  test('RequireAnyClientCert wants a certificate, of any CA; RequestClientCert takes clients without one', async () => {
    writeConfig('RequireAnyClientCert');
    await waitFor(
      'a certificate of another CA to be let in',
      async () => assert.equal((await clientGet(exporter.url, stranger)('/health')).status, 200),
      10_000,
      200,
    );
    await assert.rejects(clientGet(exporter.url, { ca })('/metrics'));
    writeConfig('RequestClientCert');
    await waitFor(
      'a client without a certificate to be let in',
      async () => assert.equal((await clientGet(exporter.url, { ca })('/health')).status, 200),
      10_000,
      200,
    );
    assert.equal((await clientGet(exporter.url, stranger)('/health')).status, 200);
  });
});

test('a bad web configuration file stops the start: exit 2 and one line naming the file and the problem', async () => {
  mkdirSync(dir, { recursive: true });
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.key\n');
  const result = await runExporterOnce(['--web-config-file', bad]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(
    result.stderr,
    /^dispatcharr-exporter: invalid web_config_file ".*bad\.yml" \(from --web-config-file\): tls_server_config: cannot read cert_file ".*missing\.pem": ENOENT\n$/,
  );
  writeFileSync(bad, 'tls_server_config:\n  client_allowed_sans: [a]\n');
  const unsupported = await runExporterOnce([], { DISPATCHARR_EXPORTER_WEB_CONFIG_FILE: bad });
  assert.equal(unsupported.code, 2);
  assert.match(
    unsupported.stderr,
    /\(from DISPATCHARR_EXPORTER_WEB_CONFIG_FILE\): tls_server_config\.client_allowed_sans is not supported/,
  );
});
