/** One rendered body held by every response of the same collection: gzip made once, buffers pooled after the last. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ChunkWriter, pooledChunks } from '../../src/exposition/chunks.js';
import { GzipFeed, gzipChunks } from '../../src/exposition/gzip.js';
import { SharedBody } from '../../src/exposition/shared-body.js';

/** Written a line at a time, as the renderer writes, so the text fills several pooled chunks. */
function body(line: string, times: number) {
  const writer = new ChunkWriter();
  for (let i = 0; i < times; i++) writer.write(line);
  return writer.finish();
}

test('holders share the bytes and one gzip; the buffers go back to the pool only after the last holder', async () => {
  const text = 'dispatcharr_up 1\n'.repeat(20_000);
  const shared = new SharedBody(body('dispatcharr_up 1\n', 20_000));
  const first = shared.acquire();
  const second = shared.acquire();
  assert.equal(first.chunks, second.chunks);
  assert.equal(Buffer.concat(first.chunks).toString('utf8'), text);
  const [a, b] = await Promise.all([first.gzip(), second.gzip()]);
  assert.equal(a, b, 'one compression for both');
  assert.equal(gunzipSync(Buffer.concat(a)).toString('utf8'), text);

  const pooled = pooledChunks();
  first.release();
  first.release();
  assert.equal(pooledChunks(), pooled, 'a holder letting go twice counts once; the other still holds the buffers');
  assert.equal(shared.alive, true);
  second.release();
  assert.ok(pooledChunks() > pooled, 'the last holder gives the buffers back');
  assert.equal(shared.alive, false);
  assert.throws(() => shared.acquire(), /cannot be held again/);
});

test('small bodies are compressed in place and large ones on the thread pool, to the same gzip text', async () => {
  for (const times of [1, 3_000, 20_000]) {
    const written = body('dispatcharr_stream_viewers{channel_uuid="c"} 3\n', times);
    const compressed = await gzipChunks(written.chunks);
    assert.equal(gunzipSync(Buffer.concat(compressed)).toString('utf8'), Buffer.concat(written.chunks).toString('utf8'));
    written.release();
  }
  assert.equal(gunzipSync(Buffer.concat(await gzipChunks([]))).length, 0, 'an empty body is a valid empty gzip');
});

test('a body compressed while it is written gives the same gzip text, however its chunks arrive', async () => {
  for (const [chunks, pauseEvery] of [
    [1, 1],
    [3, 1],
    [40, 1],
    [40, 7],
    [40, 1000],
  ] as const) {
    const feed = new GzipFeed();
    const sent: Buffer[] = [];
    for (let i = 0; i < chunks; i++) {
      const chunk = Buffer.from(`dispatcharr_client_info{client_id="${i}"} 1\n`.repeat(1500));
      sent.push(chunk);
      feed.push(chunk);
      if ((i + 1) % pauseEvery === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const compressed = await feed.finish();
    assert.deepEqual(gunzipSync(Buffer.concat(compressed)), Buffer.concat(sent), `${chunks} chunks, a pause every ${pauseEvery}`);
  }
  assert.equal(gunzipSync(Buffer.concat(await new GzipFeed().finish())).length, 0, 'an empty body');
});
