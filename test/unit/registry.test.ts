import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCollectors, neededParts, runCollectors } from '../../src/collectors/registry.js';
import { selfFamilies } from '../../src/collectors/self.js';
import { defaultSettings } from '../support/settings.js';
import { renderExposition } from '../../src/exposition/render.js';
import { silentLogger } from '../../src/log.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { failed, liveRow, ok, snapshot } from '../fixtures/snapshots.js';

const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });

test('only the parts that enabled collectors need are read', () => {
  assert.deepEqual([...neededParts(collectors, defaultSettings())].sort(), [
    'channelCounts',
    'events',
    'live',
    'liveJoin',
    'm3uAccounts',
    'profiles',
    'programmes',
  ]);
  const everything = defaultSettings({ include_epg_stats: true });
  assert.ok(neededParts(collectors, everything).has('epgSources'));
  assert.ok(!neededParts(collectors, defaultSettings({ include_m3u_stats: false })).has('m3uAccounts'));
});

test('a failed part fails only the collectors that need it, and the self metrics say so', () => {
  const snap = snapshot({
    m3uAccounts: failed('timeout', 0.5),
    channelCounts: ok({ total: 1, enabled: 1, groups: 1, profiles: [] }, 0.25),
    profiles: ok([]),
    live: ok({
      channels: [],
      vodSessions: [],
      reservedStreams: {},
      streamProfiles: {},
      roundTrips: 3,
      discovery: { mode: 'scan' as const, keyspace: 0 },
    }),
    liveJoin: ok({ channels: [], usernames: {} }),
  });
  const { families, outcomes } = runCollectors(collectors, snap, defaultSettings(), silentLogger);
  const parsed = parseExposition(renderExposition([...families, ...selfFamilies(snap, outcomes)]));
  assert.equal(parsed.has('dispatcharr_m3u_accounts'), false);
  assert.equal(sampleValue(parsed, 'dispatcharr_channels', { status: 'total' }), 1);
  assert.equal(sampleValue(parsed, 'dispatcharr_exporter_collector_success', { collector: 'm3u' }), 0);
  assert.equal(sampleValue(parsed, 'dispatcharr_exporter_collector_success', { collector: 'channels' }), 1);
  assert.equal(sampleValue(parsed, 'dispatcharr_exporter_collector_success', { collector: 'epg' }), undefined);
  assert.ok((sampleValue(parsed, 'dispatcharr_exporter_collector_duration_seconds', { collector: 'm3u' }) ?? 0) >= 0.5);
  assert.ok((sampleValue(parsed, 'dispatcharr_exporter_collector_duration_seconds', { collector: 'channels' }) ?? 0) >= 0.25);
  assert.equal(sampleValue(parsed, 'dispatcharr_up'), 1);
});

test('dispatcharr_up is 0 when the database part failed', () => {
  const snap = { ...snapshot({}), parts: { database: failed('ECONNREFUSED') } };
  const parsed = parseExposition(renderExposition(selfFamilies(snap, [])));
  assert.equal(sampleValue(parsed, 'dispatcharr_up'), 0);
});

test('with the database down, the live counts come from Redis alone; with it up, the joined counts win', () => {
  const client = { id: 'c1', fields: { ip_address: '192.0.2.1' } };
  const channel = (uuid: string) => ({ uuid, metadata: { state: 'active' }, clients: [client] });
  const live = ok({
    channels: [channel('11111111-1111-4111-8111-111111111111'), channel('22222222-2222-4222-8222-222222222222')],
    vodSessions: [],
    reservedStreams: {},
    streamProfiles: {},
    roundTrips: 3,
    discovery: { mode: 'scan' as const, keyspace: 0 },
  });
  const settings = defaultSettings({ include_client_stats: true });
  const render = (snap: ReturnType<typeof snapshot>) => {
    const { families, outcomes } = runCollectors(collectors, snap, settings, silentLogger);
    return parseExposition(renderExposition([...families, ...selfFamilies(snap, outcomes)]));
  };
  const down = render({
    ...snapshot({ live, liveJoin: failed('database unavailable') }),
    parts: { database: failed('down'), live, liveJoin: failed('database unavailable') },
  });
  assert.equal(sampleValue(down, 'dispatcharr_exporter_collector_success', { collector: 'streams' }), 0);
  assert.equal(sampleValue(down, 'dispatcharr_active_streams'), 2);
  assert.equal(sampleValue(down, 'dispatcharr_active_clients'), 2);
  // The database knows only one of the two channels: the joined count (1) wins over Redis' (2).
  const row = liveRow({ uuid: '11111111-1111-4111-8111-111111111111', name: 'One' });
  const up = render(snapshot({ live, liveJoin: ok({ channels: [row], usernames: {} }), programmes: ok([]) }));
  assert.equal(sampleValue(up, 'dispatcharr_active_streams'), 1);
  assert.equal(sampleValue(up, 'dispatcharr_active_clients'), 1);
});
