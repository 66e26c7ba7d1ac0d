import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyKeys } from '../../src/sources/live-discovery.js';

const A = '12572661-bc4b-4937-8501-665c8a4ca1e1';
const B = 'a1b2c3d4-0000-4000-8000-000000000001';

test('metadata keys of both prefixes are found; previews, timeshift and buffer keys are not', () => {
  const found = classifyKeys([
    `ts_proxy:channel:${A}:metadata`,
    `live:channel:${B}:metadata`,
    `live:channel:${B}:metadata`,
    `live:channel:${'f'.repeat(64)}:metadata`,
    `timeshift:channel:5_ab:metadata`,
    `live:channel:${B}:input:buffer:chunk:7`,
    `live:channel:${B}:clients`,
    `live:channel:${B}:clients:client_1_0001`,
    'vod_persistent_connection:vod_1_2222',
    'channel_stream:12',
    'stream_profile:7',
    'profile_connections:3',
    'celery',
  ]);
  assert.deepEqual(
    [...found.metadataKeys],
    [
      [B, 'live:'],
      [A, 'ts_proxy:'],
    ].sort(([x], [y]) => String(x).localeCompare(String(y))),
  );
  assert.deepEqual(found.vodKeys, ['vod_persistent_connection:vod_1_2222']);
  assert.deepEqual(found.reservedStreamKeys, ['channel_stream:12']);
  assert.deepEqual(found.streamProfileKeys, ['stream_profile:7']);
});

test('a channel seen under both prefixes during an upgrade is read from the newer one', () => {
  const found = classifyKeys([`live:channel:${A}:metadata`, `ts_proxy:channel:${A}:metadata`]);
  assert.equal(found.metadataKeys.get(A), 'live:');
  const reversed = classifyKeys([`ts_proxy:channel:${A}:metadata`, `live:channel:${A}:metadata`]);
  assert.equal(reversed.metadataKeys.get(A), 'live:');
});
