/** Label texts made ahead of a rendering, a few at a time, and texts shared by two renderings of the same families. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gauge, type MetricFamily, sample } from '../../src/exposition/family.js';
import { LabelTexts } from '../../src/exposition/label-texts.js';
import { renderExposition, renderExpositionBody, renderExpositionBodySliced } from '../../src/exposition/render.js';

/** Label sets shared by several families, one set repeated within a family, and two sets with the same text. */
function families(): MetricFamily[] {
  const streams = Array.from({ length: 40 }, (_, i) => ({ channel: `Channel ${i % 30}`, quote: 'say "hi"\n' }));
  const twin = { channel: 'Channel 1', quote: 'say "hi"\n' };
  return [
    gauge('a_viewers', 'viewers', [...streams.map((labels, i) => sample(i, labels)), sample(99, twin)]),
    gauge(
      'b_bitrate',
      'bitrate',
      streams.map((labels, i) => sample(i * 1.5, labels)),
    ),
    gauge('a_viewers', 'merged into the first block', [sample(7, streams[0] ?? {}), sample(8, { channel: 'other' })]),
  ];
}

const bytes = (body: { chunks: readonly Buffer[]; release(): void }) => {
  const all = Buffer.concat(body.chunks);
  body.release();
  return all.toString('utf8');
};

test('texts made ahead, a few per turn, give the rendering without them', async () => {
  const expected = renderExposition(families());
  assert.equal(expected.match(/^a_viewers/gm)?.length, 31); // 30 distinct texts, and 'other'
  const fams = families();
  const texts = new LabelTexts();
  texts.queue(fams.slice(0, 2));
  let turns = 0;
  while (texts.prepare(7)) turns++;
  assert.equal(turns, 11); // 81 label sets, 7 a call: the twelfth call makes the last 4 and says none are left
  assert.equal(texts.prepare(7), false);
  assert.equal(bytes(renderExpositionBody(fams, texts)), expected);
});

test('two renderings with the same texts write the same lines: no family is taken for one already written', async () => {
  const fams = families();
  const texts = new LabelTexts();
  const first = bytes(await renderExpositionBodySliced(fams, () => undefined, texts));
  const second = bytes(await renderExpositionBodySliced(fams, () => undefined, texts));
  assert.equal(first, renderExposition(fams));
  assert.equal(second, first);
});
