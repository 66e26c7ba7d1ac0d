import assert from 'node:assert/strict';
import { test } from 'node:test';
import { landingPage } from '../../src/http/landing.js';
import { landingView } from '../../src/http/landing-view.js';
import { failed, liveRow, NOW, ok, profile, snapshot } from '../fixtures/snapshots.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const live = ok({
  channels: [
    {
      uuid: U1,
      metadata: { state: 'active', init_time: String(NOW - 3700), video_bitrate: '5500.0', resolution: '1280x720', m3u_profile: '7' },
      clients: [{ id: 'c1', fields: {} }],
    },
    { uuid: U2, metadata: { init_time: String(NOW - 10), total_bytes: '1250000' }, clients: [] },
  ],
  vodSessions: [],
  reservedStreams: {},
  streamProfiles: {},
  roundTrips: 4,
  discovery: { mode: 'scan' as const, keyspace: 10 },
});
const join = ok({
  channels: [
    liveRow({ uuid: U1, name: '<script>alert(1)</script>', number: 5, streamId: '9', position: 2, provider: 'P & Co', profileId: '7' }),
    liveRow({ uuid: U2, name: 'Quiet', number: 6 }),
  ],
  usernames: {},
});

test('landing view: streams with bitrate, uptime and failover position; providers against limits and expiry', () => {
  const view = landingView(
    snapshot({
      live,
      liveJoin: join,
      profiles: ok([
        profile({ id: '7', name: 'Main', maxStreams: 1, accountName: 'P & Co', expiresAt: NOW + 3 * 86_400 + 60 }),
        profile({ id: '8', name: 'Built-in', accountLocked: true }),
      ]),
    }),
  );
  assert.deepEqual(view.streams, [
    {
      channel: '<script>alert(1)</script>',
      number: '5',
      provider: 'P & Co',
      state: 'active',
      resolution: '1280x720',
      clients: 1,
      kbps: 5500,
      uptimeSeconds: 3700,
      position: 2,
    },
    { channel: 'Quiet', number: '6', provider: 'unknown', state: 'unknown', resolution: '', clients: 0, kbps: 1000, uptimeSeconds: 10 },
  ]);
  assert.deepEqual(view.providers, [{ account: 'P & Co', profile: 'Main', connections: 1, limit: 1, daysLeft: 3 }]);
  assert.deepEqual(view.errors, []);
});

test('landing page: every value escaped, failed parts listed, parts not read said so', () => {
  const html = landingPage('1.0.0', landingView(snapshot({ live, liveJoin: join, profiles: failed('timeout <b>') })));
  assert.ok(!html.includes('<script>alert'), 'no raw markup from the data');
  assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
  assert.ok(html.includes('P &#38; Co'));
  assert.match(html, /<li>profiles: timeout &#60;b&#62;<\/li>/);
  assert.match(html, /Provider profiles were not read/);
  assert.match(html, /<meta http-equiv="refresh" content="15">/);
  assert.match(html, /<td>backup 2<\/td>/);
  assert.match(html, /<td>1 h 1 min<\/td>/);
});
