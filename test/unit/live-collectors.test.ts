import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientsCollector } from '../../src/collectors/clients.js';
import { profileConnectionsCollector } from '../../src/collectors/profile-connections.js';
import { streamsCollector } from '../../src/collectors/streams.js';
import { vodCollector } from '../../src/collectors/vod.js';
import { defaultSettings } from '../support/settings.js';
import { renderExposition } from '../../src/exposition/render.js';
import type { LiveChannelRow, LiveState } from '../../src/snapshot.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { NOW, ok, profile, snapshot } from '../fixtures/snapshots.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';

const live: LiveState = {
  channels: [
    {
      uuid: U1,
      metadata: {
        state: 'active',
        init_time: String(NOW - 100),
        total_bytes: '1250000',
        source_fps: '25.0',
        ffmpeg_speed: '0.98x',
        video_codec: 'hevc',
        resolution: '3840x2160',
      },
      clients: [
        {
          id: 'c1',
          fields: {
            ip_address: '192.0.2.1',
            connected_at: String(NOW - 40),
            bytes_sent: '2048',
            avg_rate_KBps: '100.0',
            current_rate_KBps: '0.0',
            user_id: '7',
          },
        },
        { id: 'c2', fields: { ip_address: '192.0.2.1', user_agent: 'x' } },
      ],
    },
    { uuid: U2, metadata: { init_time: String(NOW + 50), source_fps: '0', total_bytes: 'garbage' }, clients: [] },
  ],
  vodSessions: [
    { id: 'v1', fields: { m3u_profile_id: '10', active_streams: '2' } },
    { id: 'v2', fields: { m3u_profile_id: '10', active_streams: '0' } },
    { id: 'v3', fields: { active_streams: 'x' } },
  ],
  reservedStreams: {},
  streamProfiles: {},
  roundTrips: 3,
  discovery: { mode: 'scan', keyspace: 0 },
};

function row(overrides: Partial<LiveChannelRow> & Pick<LiveChannelRow, 'uuid'>): LiveChannelRow {
  return {
    name: 'Channel',
    number: 1001,
    logoId: null,
    groupName: 'News',
    streamId: '5',
    streamName: 'S',
    provider: 'P',
    providerType: 'XC',
    profileId: '10',
    profileName: 'Default',
    profileMaxStreams: 4,
    streamProfile: 'ffmpeg',
    position: 0,
    availableStreams: 2,
    ...overrides,
  };
}

const snap = snapshot({
  live: ok(live),
  liveJoin: ok({
    channels: [row({ uuid: U1 }), row({ uuid: U2, number: null, streamId: '9', position: null, profileId: null, streamName: null })],
    usernames: { '7': 'bob' },
  }),
  profiles: ok([profile({ id: '10', name: 'Default', maxStreams: 4 }), profile({ id: '11', name: 'Spare', maxStreams: 0 })]),
});
const settings = defaultSettings({ include_client_stats: true, include_vod_stats: true });
const parse = (families: ReturnType<typeof streamsCollector.collect>) => parseExposition(renderExposition(families));

test('streams: values from the metadata, in the stated units', () => {
  const m = parse(streamsCollector.collect(snap, settings));
  const one = { channel_uuid: U1, channel_number: '1001.0' };
  assert.equal(sampleValue(m, 'dispatcharr_active_streams'), 2);
  assert.equal(sampleValue(m, 'dispatcharr_stream_uptime_seconds', one), 100);
  assert.equal(sampleValue(m, 'dispatcharr_stream_avg_bitrate_kbps', one), 100, '1,250,000 bytes × 8 / 100 s / 1000');
  assert.equal(sampleValue(m, 'dispatcharr_stream_total_transfer_mb', one), 1_250_000 / 1_048_576);
  assert.equal(sampleValue(m, 'dispatcharr_stream_buffering_speed', one), 0.98);
  assert.equal(sampleValue(m, 'dispatcharr_stream_viewers', one), 1);
  assert.equal(sampleValue(m, 'dispatcharr_stream_active_clients', one), 2);
  assert.equal(sampleValue(m, 'dispatcharr_stream_profile_connections', one), 2, 'one live channel plus the streaming VOD session');
});

test('streams: a future init_time, a zero fps, unparsable bytes and a missing profile give no samples', () => {
  const m = parse(streamsCollector.collect(snap, settings));
  const two = { channel_uuid: U2, channel_number: '' };
  assert.equal(sampleValue(m, 'dispatcharr_stream_uptime_seconds', two), undefined);
  assert.equal(sampleValue(m, 'dispatcharr_stream_fps', two), undefined);
  assert.equal(sampleValue(m, 'dispatcharr_stream_total_transfer_mb', two), undefined);
  assert.equal(sampleValue(m, 'dispatcharr_stream_profile_connections', two), undefined);
  assert.equal(sampleValue(m, 'dispatcharr_stream_channel_number', two), undefined, 'no number, no sample');
  assert.equal(sampleValue(m, 'dispatcharr_stream_index', two), -1, 'stream 9 is not in the list');
  const meta = m.get('dispatcharr_stream_metadata')?.samples.find((s) => s.labels['channel_uuid'] === U2);
  assert.equal(meta?.labels['state'], 'unknown');
  assert.equal(meta?.labels['stream_name'], 'unknown');
  assert.equal(meta?.labels['profile_id'], '');
});

test('streams: stream_metadata is the last family, legacy info only when asked', () => {
  const names = streamsCollector.collect(snap, settings).map((f) => f.name);
  assert.equal(names.at(-1), 'dispatcharr_stream_metadata');
  assert.ok(!names.includes('dispatcharr_stream_info'));
  const legacy = streamsCollector.collect(snap, { ...settings, include_legacy_metrics: true }).map((f) => f.name);
  assert.deepEqual(legacy.slice(-2), ['dispatcharr_stream_info', 'dispatcharr_stream_metadata']);
});

test('clients: KiB/s become kbps, users are named, missing fields stay absent', () => {
  const m = parse(clientsCollector.collect(snap, settings));
  const c1 = { client_id: 'c1', channel_uuid: U1, channel_number: '1001.0' };
  assert.equal(sampleValue(m, 'dispatcharr_active_clients'), 2);
  assert.equal(sampleValue(m, 'dispatcharr_client_avg_transfer_rate_kbps', c1), 819.2);
  assert.equal(sampleValue(m, 'dispatcharr_client_current_transfer_rate_kbps', c1), 0);
  assert.equal(sampleValue(m, 'dispatcharr_client_connection_duration_seconds', c1), 40);
  assert.equal(sampleValue(m, 'dispatcharr_client_connection_duration_seconds', { client_id: 'c2' }), undefined);
  const info = m.get('dispatcharr_client_info')?.samples ?? [];
  assert.deepEqual(info[0]?.labels, {
    ...c1,
    ip_address: '192.0.2.1',
    user_agent: 'unknown',
    worker_id: 'unknown',
    user_id: '7',
    username: 'bob',
  });
});

test('vod: sessions and the open responses they stream', () => {
  const m = parse(vodCollector.collect(snap, settings));
  assert.equal(sampleValue(m, 'dispatcharr_vod_sessions'), 3);
  assert.equal(sampleValue(m, 'dispatcharr_vod_active_streams'), 2);
});

test('profile connections: counted from live channels and streaming VOD sessions; usage only with a limit', () => {
  const m = parse(profileConnectionsCollector.collect(snap, settings));
  assert.equal(sampleValue(m, 'dispatcharr_profile_connections', { profile_id: '10' }), 2);
  assert.equal(sampleValue(m, 'dispatcharr_profile_connections', { profile_id: '11' }), 0);
  assert.equal(sampleValue(m, 'dispatcharr_profile_connection_usage', { profile_id: '10' }), 0.5);
  assert.equal(sampleValue(m, 'dispatcharr_profile_connection_usage', { profile_id: '11' }), undefined);
});
