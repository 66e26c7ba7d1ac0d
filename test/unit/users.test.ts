import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCollectors, neededParts, runCollectors } from '../../src/collectors/registry.js';
import { userLevelName, usersCollector, userStreamsCollector } from '../../src/collectors/users.js';
import type { MetricFamily } from '../../src/exposition/family.js';
import { renderExposition } from '../../src/exposition/render.js';
import { silentLogger } from '../../src/log.js';
import type { LiveState } from '../../src/snapshot.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { defaultSettings } from '../support/settings.js';
import { failed, NOW, ok, snapshot, user } from '../fixtures/snapshots.js';

const HOSTILE = 'Evil "quoted" \\ back\\slash\nnew line ünï 📺';

const users = [
  user({ id: '1', username: 'admin', level: 10, isStaff: true, dateJoined: NOW - 1000.5, streamLimit: 0 }),
  user({ id: '2', username: 'alice', level: 1, streamLimit: 3 }),
  user({ id: '10', username: HOSTILE, level: 0, streamLimit: 1 }),
  user({ id: '11', username: 'idle', level: 5 }),
];

const live: LiveState = {
  channels: [
    {
      uuid: '11111111-1111-4111-8111-111111111111',
      metadata: { state: 'active' },
      clients: [
        { id: 'c1', fields: { user_id: '2' } },
        { id: 'c2', fields: { user_id: '10' } },
        { id: 'c3', fields: { user_id: '0' } },
        { id: 'c4', fields: { ip_address: '192.0.2.1' } },
        { id: 'c5', fields: { user_id: '' } },
        { id: 'c6', fields: { user_id: 'admin' } },
        { id: 'c7', fields: { user_id: '99' } },
      ],
    },
    // A channel missing from the database still streams to its viewers: its clients count.
    { uuid: '22222222-2222-4222-8222-222222222222', metadata: {}, clients: [{ id: 'c8', fields: { user_id: ' 2 ' } }] },
  ],
  vodSessions: [
    { id: 'v1', fields: { active_streams: '1', user_id: '10' } },
    { id: 'v2', fields: { active_streams: '0', user_id: '10' } },
    { id: 'v3', fields: { active_streams: '2', user_id: '0' } },
    { id: 'v4', fields: { active_streams: '1' } },
    { id: 'v5', fields: { active_streams: 'x', user_id: '1' } },
  ],
  reservedStreams: {},
  streamProfiles: {},
  roundTrips: 3,
  discovery: { mode: 'scan', keyspace: 0 },
};

const snap = snapshot({ users: ok(users), live: ok(live) });
const settings = defaultSettings({ include_user_stats: true });
const render = (families: MetricFamily[]) => parseExposition(renderExposition(families));
const collectAll = () => render([...usersCollector.collect(snap, settings), ...userStreamsCollector.collect(snap, settings)]);

test('users: level names, with other levels as their number', () => {
  assert.deepEqual([0, 1, 10, 11, 5, -1].map(userLevelName), ['streamer', 'standard', 'admin', 'admin', '5', '-1']);
});

test('users: one info series per user, in the order read, with level and staff flag', () => {
  const m = collectAll();
  assert.deepEqual(
    m.get('dispatcharr_user_info')?.samples.map((s) => [s.labels, s.value]),
    [
      [{ user_id: '1', username: 'admin', user_level: 'admin', is_staff: 'true' }, '1'],
      [{ user_id: '2', username: 'alice', user_level: 'standard', is_staff: 'false' }, '1'],
      [{ user_id: '10', username: HOSTILE, user_level: 'streamer', is_staff: 'false' }, '1'],
      [{ user_id: '11', username: 'idle', user_level: '5', is_staff: 'false' }, '1'],
    ],
  );
  assert.equal(m.get('dispatcharr_user_info')?.type, 'gauge');
});

test('users: date joined in Unix seconds, stream limit with 0 for unlimited', () => {
  const m = collectAll();
  assert.equal(sampleValue(m, 'dispatcharr_user_date_joined_timestamp', { user_id: '1' }), NOW - 1000.5);
  assert.equal(sampleValue(m, 'dispatcharr_user_stream_limit', { user_id: '1', username: 'admin' }), 0, 'unlimited');
  assert.equal(sampleValue(m, 'dispatcharr_user_stream_limit', { user_id: '2' }), 3);
  assert.equal(sampleValue(m, 'dispatcharr_user_stream_limit', { user_id: '10' }), 1);
});

test('users: live clients and streaming VOD sessions count for their user; anonymous ones for nobody', () => {
  const m = collectAll();
  assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { user_id: '2' }), 2, 'two live clients');
  assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { user_id: '10' }), 2, 'a live client and one streaming VOD session');
  assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { user_id: '1' }), 0, 'a VOD session with unreadable active_streams');
  assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { user_id: '11' }), 0, 'no streams, still a sample');
  assert.equal(m.get('dispatcharr_user_active_streams')?.samples.length, 4, 'users unknown to the database give no series');
  assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { user_id: '0' }), undefined);
});

test('users: hostile usernames survive rendering and parsing unchanged', () => {
  const text = renderExposition([...usersCollector.collect(snap, settings), ...userStreamsCollector.collect(snap, settings)]);
  assert.ok(text.includes('username="Evil \\"quoted\\" \\\\ back\\\\slash\\nnew line ünï 📺"'), 'escaped on the wire');
  const m = parseExposition(text);
  for (const family of ['dispatcharr_user_info', 'dispatcharr_user_date_joined_timestamp', 'dispatcharr_user_stream_limit']) {
    assert.equal(m.get(family)?.samples.find((s) => s.labels['user_id'] === '10')?.labels['username'], HOSTILE, family);
  }
  assert.equal(sampleValue(m, 'dispatcharr_user_active_streams', { username: HOSTILE }), 2);
});

test('users: off by default, so the users part is not read; switched on, it is', () => {
  const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });
  assert.equal(neededParts(collectors, defaultSettings()).has('users'), false);
  assert.equal(neededParts(collectors, settings).has('users'), true);
  const off = runCollectors(collectors, snap, defaultSettings(), silentLogger);
  assert.equal(
    off.families.some((f) => f.name.startsWith('dispatcharr_user_')),
    false,
  );
  assert.equal(
    off.outcomes.some((o) => o.name === 'users'),
    false,
  );
});

test('users: with Redis down the database families still publish; only the stream counts fail', () => {
  const down = snapshot({ users: ok(users), live: failed('ECONNREFUSED') });
  const collectors = [usersCollector, userStreamsCollector];
  const { families, outcomes } = runCollectors(collectors, down, settings, silentLogger);
  assert.deepEqual(
    families.map((f) => f.name),
    ['dispatcharr_user_info', 'dispatcharr_user_date_joined_timestamp', 'dispatcharr_user_stream_limit'],
  );
  assert.deepEqual(
    outcomes.map((o) => [o.name, o.success]),
    [
      ['users', true],
      ['user_streams', false],
    ],
  );
});
