/**
 * The HTTP front under abuse: Accept-Encoding parsed properly, request bodies refused unread, half-closed
 * clients answered, an idle-connection flood that cannot lock Prometheus out, a cap on scrapes in flight.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type RunningExporter, startExporter } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { freePort, openIdleConnections, waitFor } from '../support/ports.js';

/** Sends raw bytes, optionally half-closes, and returns everything the server sent until it closed. */
function rawExchange(port: number, request: string, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
      if (halfClose) socket.end();
    });
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer')));
  });
}

async function openFds(exporter: RunningExporter): Promise<number> {
  const value = sampleValue(parseExposition(await exporter.metrics()), 'process_open_fds');
  assert.ok(value !== undefined);
  return value;
}

describe('HTTP front', () => {
  let exporter: RunningExporter;

  before(async () => {
    // No backends: the answers come fast and say the database is down, which is all these tests need.
    const closed = String(await freePort());
    exporter = await startExporter({ POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: closed, REDIS_HOST: '127.0.0.1', REDIS_PORT: closed }, [
      '--max-connections',
      '64',
    ]);
  });
  after(() => exporter.stop());

  test('Accept-Encoding is negotiated: q=0 refuses gzip, names are case-insensitive', async () => {
    const refused = await exporter.get('/metrics', { 'accept-encoding': 'gzip;q=0, identity' });
    assert.equal(refused.headers.get('content-encoding'), null);
    assert.match(await refused.text(), /^# HELP /);
    const upper = await rawExchange(
      exporter.port,
      'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: GZIP\r\nConnection: close\r\n\r\n',
      false,
    );
    assert.match(upper, /\r\nContent-Encoding: gzip\r\n/i);
    const body = Buffer.from(upper.slice(upper.indexOf('\r\n\r\n') + 4), 'latin1');
    assert.match(gunzipSync(body).toString('utf8'), /dispatcharr_up 0/);
  });

  test('a request body is refused with 413 without being read', async () => {
    const answer = await rawExchange(
      exporter.port,
      'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nonly a few bytes of the promised body',
      false,
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nConnection: close\r\n/i);
  });

  test('a client that half-closes after its request still gets the scrape', async () => {
    const answer = await rawExchange(exporter.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', true);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /dispatcharr_up 0/);
  });

  test('a huge scrape-timeout header is clamped instead of overflowing the timer', async () => {
    const response = await exporter.get('/metrics', { 'x-prometheus-scrape-timeout-seconds': '3000000' });
    assert.equal(response.status, 200);
    const m = parseExposition(await response.text());
    assert.equal(sampleValue(m, 'dispatcharr_exporter_collector_success', { collector: 'core' }), 1);
  });

  test('2,000 idle connections above the cap of 64 do not lock /metrics out, and idle ones are closed', async () => {
    const before = await openFds(exporter);
    const idle = await openIdleConnections(exporter.port, 2000);
    try {
      const started = Date.now();
      assert.equal((await exporter.get('/metrics')).status, 200);
      assert.ok(Date.now() - started < 5_000, 'answered while the flood is open');
      assert.ok((await openFds(exporter)) <= before + 64 + 2, 'at most the cap stays open');
      // Connections that never send a request are closed after FIRST_REQUEST_TIMEOUT_MS (10 s).
      await waitFor(
        'idle connections to be closed',
        async () => {
          if ((await openFds(exporter)) > before + 2) throw new Error('still open');
        },
        20_000,
        500,
      );
    } finally {
      for (const socket of idle) socket.destroy();
    }
  });
});

describe('scrapes in flight', () => {
  test('beyond --max-requests a scrape gets 503 with Retry-After, and the others still answer', async () => {
    // A Redis that accepts connections but never answers keeps each collection waiting for its deadline.
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    const closed = String(await freePort());
    const exporter = await startExporter(
      { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: closed, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port) },
      ['--max-requests', '2', '--scrape-timeout', '2'],
    );
    try {
      const slow = [exporter.get('/metrics'), exporter.get('/metrics')];
      await new Promise((r) => setTimeout(r, 200));
      const third = await exporter.get('/metrics');
      assert.equal(third.status, 503);
      assert.equal(third.headers.get('retry-after'), '1');
      for (const response of await Promise.all(slow)) assert.equal(response.status, 200);
      assert.equal((await exporter.get('/metrics')).status, 200, 'slots are given back');
    } finally {
      await exporter.stop();
      silent.close();
    }
  });
});
