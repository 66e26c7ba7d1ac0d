/**
 * The exposition written into pooled UTF-8 chunks and sent from them: byte for byte the text of the renderer it
 * replaced (kept below as the reference), plain and gzip, across chunk boundaries, with the buffers reused only
 * after a response is done with them.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { type Body, bodyFromText, CHUNK_BYTES, pooledChunks } from '../../src/exposition/chunks.js';
import { counter, gauge, type Labels, type MetricFamily, sample } from '../../src/exposition/family.js';
import { formatValue, pythonFloat } from '../../src/exposition/numbers.js';
import { renderExposition, renderExpositionBody, renderExpositionBodySliced } from '../../src/exposition/render.js';
import { sendBody } from '../../src/http/respond.js';
import { wellFormed } from '../fixtures/label-fuzz.js';

/**
 * The renderer as it was before the chunked one (per-family line arrays joined into one string): the oracle. A series
 * is repeated when its labels are the same on the wire: two texts that differ only in lone surrogates are one series.
 */
function referenceRender(families: readonly MetricFamily[]): string {
  const escapeValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const labelsText = (labels: Labels) => {
    const names = Object.keys(labels);
    return names.length === 0 ? '' : `{${names.map((name) => `${name}="${escapeValue(labels[name] ?? '')}"`).join(',')}}`;
  };
  const blocks = new Map<string, { head: MetricFamily; lines: string[]; seen: Set<string> }>();
  for (const family of families) {
    let block = blocks.get(family.name);
    if (!block) {
      block = { head: family, lines: [], seen: new Set() };
      blocks.set(family.name, block);
    }
    const format = family.valueFormat === 'python-float' ? pythonFloat : formatValue;
    for (const s of family.samples) {
      const labels = labelsText(s.labels);
      const onTheWire = wellFormed(labels);
      if (block.seen.has(onTheWire)) continue;
      block.seen.add(onTheWire);
      block.lines.push(`${family.name}${labels} ${Number.isFinite(s.value) ? format(s.value) : formatValue(s.value)}`);
    }
  }
  let out = '';
  for (const { head, lines } of blocks.values()) {
    if (lines.length === 0) continue;
    out += `# HELP ${head.name} ${head.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${head.name} ${head.type}\n${lines.join('\n')}\n`;
  }
  return out;
}

const bytesOf = (body: Body) => Buffer.concat(body.chunks);

/** Texts with everything a label can hold: escapes, astral characters, lone surrogates, long runs. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', 'é', '📺', '\ud800', '\udc00', ' '), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', 'x'.repeat(70_000), `${'é'.repeat(CHUNK_BYTES / 2 - 1)}📺`),
);
const familyArbitrary: fc.Arbitrary<MetricFamily> = fc
  .record({
    name: fc.constantFrom('a_metric', 'b_total', 'c'),
    help: text,
    counter: fc.boolean(),
    python: fc.boolean(),
    samples: fc.array(
      fc.record({
        labels: fc.dictionary(fc.constantFrom('name', 'id', 'url'), text, { maxKeys: 3 }),
        value: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1001)),
      }),
      { maxLength: 6 },
    ),
  })
  .map(({ name, help, counter: isCounter, python, samples }) => {
    const family = (isCounter ? counter : gauge)(
      name,
      help,
      samples.map((s) => sample(s.value, s.labels)),
    );
    return python ? { ...family, valueFormat: 'python-float' as const } : family;
  });

describe('chunked exposition', () => {
  test('the text and the chunks are byte for byte those of the previous renderer', () => {
    fc.assert(
      fc.property(fc.array(familyArbitrary, { maxLength: 6 }), (families) => {
        const expected = referenceRender(families);
        assert.equal(renderExposition(families), wellFormed(expected));
        const body = renderExpositionBody(families);
        assert.deepEqual(bytesOf(body), Buffer.from(expected, 'utf8'));
        assert.equal(body.byteLength, Buffer.byteLength(expected, 'utf8'));
        body.release();
      }),
      { numRuns: 300 },
    );
  });

  test('a large exposition spans many chunks, none larger than a chunk unless one label set is', () => {
    const clients = Array.from({ length: 20_000 }, (_, i) =>
      sample(i, { client_id: `client_${i}`, user_agent: `VLC "3.0" \\ 📺 ${i}`, ip_address: `192.0.2.${i % 256}` }),
    );
    const families = [
      gauge('dispatcharr_client_info', 'Per-viewer information', clients),
      gauge('long', 'h', [sample(1, { v: 'y'.repeat(100_000) })]),
    ];
    const body = renderExpositionBody(families);
    assert.ok(body.chunks.length > 20, `${body.chunks.length} chunks`);
    const oversized = body.chunks.filter((chunk) => chunk.length > CHUNK_BYTES).map((chunk) => chunk.toString('utf8'));
    assert.deepEqual(oversized, [`{v="${'y'.repeat(100_000)}"}`], 'only the label set too long for a chunk has one of its own');
    assert.deepEqual(bytesOf(body), Buffer.from(referenceRender(families), 'utf8'));
    body.release();
  });

  test('rendered a slice at a time, the body is the same, and every chunk is handed on once, in order, as it is sealed', async () => {
    const clients = Array.from({ length: 12_000 }, (_, i) => sample(i, { client_id: `client_${i}`, user_agent: `VLC "3.0" 📺 ${i}` }));
    const families = [gauge('dispatcharr_client_info', 'Per-viewer information', clients), counter('c', 'h', [sample(1)])];
    const whole = renderExpositionBody(families);
    const expected = bytesOf(whole);
    whole.release();
    const sealed: Buffer[] = [];
    const sliced = await renderExpositionBodySliced(families, (chunk) => sealed.push(Buffer.from(chunk)));
    assert.deepEqual(bytesOf(sliced), expected);
    assert.deepEqual(Buffer.concat(sealed), expected);
    assert.equal(sealed.length, sliced.chunks.length);
    sliced.release();
  });

  test('a text is cut into chunks without splitting a surrogate pair', () => {
    for (const offset of [0, 1, 2, 3]) {
      const original = `${'a'.repeat(8191 + offset)}${'📺é\ud800'.repeat(30_000)}`;
      assert.deepEqual(bytesOf(bodyFromText(original)), Buffer.from(original, 'utf8'));
    }
  });

  test('many families, more names than the writer keeps encoded: every name and value is written whole', () => {
    const families = Array.from({ length: 5000 }, (_, i) => gauge(`m_${i}_${'x'.repeat(i % 40)}`, 'h', [sample(i * 1.5, { i: 'é' })]));
    const body = renderExpositionBody(families);
    assert.deepEqual(bytesOf(body), Buffer.from(referenceRender(families), 'utf8'));
    body.release();
  });

  test('released buffers are reused once, and a second release gives nothing back twice', () => {
    const families = [
      gauge(
        'm',
        'h',
        Array.from({ length: 5000 }, (_, i) => sample(i, { i: String(i).repeat(20) })),
      ),
    ];
    const first = renderExpositionBody(families);
    const before = pooledChunks();
    first.release();
    const returned = pooledChunks() - before;
    assert.ok(returned > 0);
    first.release();
    assert.equal(pooledChunks() - before, returned);
    const second = renderExpositionBody(families);
    assert.equal(pooledChunks(), before, 'the next render takes the pooled buffers');
    second.release();
  });
});

describe('sending a chunked body', () => {
  let server: Server;
  let port = 0;
  const families = [
    gauge(
      'dispatcharr_stream_info',
      'Stream "info"',
      Array.from({ length: 8000 }, (_, i) => sample(i, { name: `Chan ${i} 📺` })),
    ),
  ];
  const expected = Buffer.from(referenceRender(families), 'utf8');

  before(async () => {
    server = createServer((req, res) => {
      void sendBody(req, res, 200, { 'Content-Type': 'text/plain' }, renderExpositionBody(families));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function get(method: string, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('plain: the exact bytes with their Content-Length', async () => {
    const { headers, body } = await get('GET', {});
    assert.equal(headers['content-length'], String(expected.length));
    assert.equal(headers['vary'], 'Accept-Encoding');
    assert.equal(headers['content-encoding'], undefined);
    assert.deepEqual(body, expected);
  });

  test('gzip: the exact bytes once decompressed, Content-Length of the compressed body', async () => {
    const { headers, body } = await get('GET', { 'Accept-Encoding': 'gzip' });
    assert.equal(headers['content-encoding'], 'gzip');
    assert.equal(headers['content-length'], String(body.length));
    assert.deepEqual(gunzipSync(body), expected);
  });

  test('HEAD: the headers of a GET and no body', async () => {
    const get200 = await get('GET', { 'Accept-Encoding': 'gzip' });
    const head = await get('HEAD', { 'Accept-Encoding': 'gzip' });
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], get200.headers['content-length']);
    assert.equal(head.headers['content-encoding'], 'gzip');
  });

  test('concurrent responses from pooled buffers do not overwrite one another', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get('GET', i % 2 === 0 ? { 'Accept-Encoding': 'gzip' } : {})));
    for (const { headers, body } of answers) assert.deepEqual(headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body, expected);
  });
});
