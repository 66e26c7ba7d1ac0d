/**
 * Collectors' families rendered ahead, alone, a slice at a time, and taken into the exposition as they are: the
 * bytes of a rendering without them, whatever each part's progress, and never for families that share a name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Body, pooledChunks } from '../../src/exposition/chunks.js';
import { gauge, type MetricFamily, sample } from '../../src/exposition/family.js';
import { LabelTexts } from '../../src/exposition/label-texts.js';
import { PreRendered, renderExposition, renderExpositionBody, renderExpositionBodySliced } from '../../src/exposition/render.js';

/** Label sets shared by several families, one set repeated within a family, and two sets with the same text. */
function streamFamilies(): MetricFamily[] {
  const streams = Array.from({ length: 40 }, (_, i) => ({ channel: `Channel ${i % 30}`, quote: 'say "hi"\n' }));
  const twin = { channel: 'Channel 1', quote: 'say "hi"\n' };
  return [
    gauge('a_viewers', 'viewers', [...streams.map((labels, i) => sample(i, labels)), sample(99, twin)]),
    gauge(
      'b_bitrate',
      'bitrate',
      streams.map((labels, i) => sample(i * 1.5, labels)),
    ),
  ];
}

/** More lines than one slice of a rendering (512), so a part can be left half rendered. */
function clientFamilies(): MetricFamily[] {
  const clients = Array.from({ length: 1200 }, (_, i) => ({ client: `c${i}`, ip: `10.0.${i >> 8}.${i & 255}` }));
  return [
    gauge(
      'c_client_bytes',
      'bytes',
      clients.map((labels, i) => sample(i * 1000, labels)),
    ),
  ];
}

const text = (body: Body) => {
  const all = Buffer.concat(body.chunks).toString('utf8');
  body.release();
  return all;
};

test('parts finished, half rendered and not started give the bytes of the rendering without them', async () => {
  const streams = streamFamilies();
  const clients = clientFamilies();
  const tail = [gauge('d_success', 'success', [sample(1, { collector: 'streams' })])];
  const all = [...streams, ...clients, ...tail];
  const expected = renderExposition(all);
  assert.equal(expected.match(/^a_viewers/gm)?.length, 30); // 40 streams, 30 distinct texts, the twin repeated

  for (const sliced of [false, true]) {
    const texts = new LabelTexts();
    const parts = [new PreRendered(streams, texts), new PreRendered(clients, texts), new PreRendered(tail, texts)];
    while (parts[0]?.step());
    assert.equal(parts[1]?.step(), true); // one slice of three
    const ahead = { texts, parts };
    const body = sliced ? await renderExpositionBodySliced(all, () => undefined, ahead) : renderExpositionBody(all, ahead);
    assert.ok(parts.every((part) => part.adopted));
    assert.equal(text(body), expected);
  }
});

test('a part that shares a name with a family outside it is left out, and its families are rendered with the rest', async () => {
  const streams = streamFamilies();
  const merged = gauge('a_viewers', 'merged into the first block', [sample(7, { channel: 'Channel 0', quote: 'say "hi"\n' }), sample(8)]);
  const all = [...streams, merged];
  const texts = new LabelTexts();
  const parts = [new PreRendered(streams, texts)];
  while (parts[0]?.step());
  const body = await renderExpositionBodySliced(all, () => undefined, { texts, parts });
  assert.equal(parts[0]?.adopted, false);
  const output = text(body);
  assert.equal(output, renderExposition(all));
  assert.match(output, /^a_viewers 8$/m);
});

test('two renderings with the same label texts write the same lines: no block is taken for one already written', async () => {
  const all = [...streamFamilies(), ...clientFamilies()];
  const texts = new LabelTexts();
  const first = text(await renderExpositionBodySliced(all, () => undefined, { texts, parts: [] }));
  const second = text(await renderExpositionBodySliced(all, () => undefined, { texts, parts: [] }));
  assert.equal(first, renderExposition(all));
  assert.equal(second, first);
});

test("an exposition made of parts alone gives the parts' buffers back when it is released", async () => {
  const clients = clientFamilies();
  const texts = new LabelTexts();
  const parts = [new PreRendered(clients, texts)];
  while (parts[0]?.step());
  const body = await renderExpositionBodySliced(clients, () => undefined, { texts, parts });
  assert.equal(body.chunks.length, 1);
  const before = pooledChunks();
  body.release();
  assert.equal(pooledChunks(), before + 1);
});
