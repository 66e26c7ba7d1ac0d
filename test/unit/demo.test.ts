/** Demo mode's simulation: deterministic, and telling the story it promises (providers, channels, failovers, sources). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from '../../src/snapshot.js';
import { DEMO_START, demo, EVERY_PART, everything, samples, scrape, timeline } from '../support/demo.js';

/** A snapshot without the measured read times, which differ from run to run. */
function comparable(snapshot: Snapshot) {
  const parts = Object.fromEntries(Object.entries(snapshot.parts).map(([name, part]) => [name, part?.ok ? part.value : part]));
  return { ...snapshot, parts };
}

test('the same seed and start give the same snapshots, however often they are taken', () => {
  const often = demo(42);
  const seldom = demo(42);
  for (let t = 0; t < 1800; t += 5) {
    const snapshot = often.snapshot(DEMO_START + t, EVERY_PART);
    if (t % 300 === 0) assert.deepEqual(comparable(seldom.snapshot(DEMO_START + t, EVERY_PART)), comparable(snapshot), `at ${t} s`);
  }
  const other = demo(43).snapshot(DEMO_START + 1800, EVERY_PART);
  assert.notDeepEqual(comparable(other).parts.live, comparable(often.snapshot(DEMO_START + 1800, EVERY_PART)).parts.live);
});

test('providers: capped and unlimited profiles, one full, one near its limit, one expiring in days, one expired', () => {
  const dispatcharr = demo();
  let nearLimit = 0;
  let scrapes = 0;
  for (const snapshot of timeline(dispatcharr, 0, 7200, 60)) {
    const { parsed } = scrape(snapshot, everything('v2'));
    scrapes++;
    const usage = new Map(samples(parsed, 'dispatcharr_profile_connection_usage').map((s) => [s.labels['profile_name'], s.value]));
    for (const [profile, value] of usage) assert.ok(value <= 1, `${profile} over its limit: ${value}`);
    assert.equal(usage.get('Second login'), 1, 'the one-connection second login is always taken');
    if ((usage.get('StreamCo Premium Default') ?? 0) >= 0.75) nearLimit++;
    const limits = samples(parsed, 'dispatcharr_profile_max_connections');
    const connections = new Map(samples(parsed, 'dispatcharr_profile_connections').map((s) => [s.labels['profile_name'], s.value]));
    const unlimitedInUse = limits.filter((l) => l.value === 0 && (connections.get(l.labels['profile_name']) ?? 0) > 0);
    assert.ok(unlimitedInUse.length > 0, 'an unlimited profile carries streams');
    const days = new Map(samples(parsed, 'dispatcharr_profile_days_to_expiry').map((s) => [s.labels['account_name'], s.value]));
    assert.equal(days.get('Nordic IPTV'), 3);
    assert.equal(days.get('Old Reseller'), 0);
    assert.equal(days.get('Backup XC'), -1);
    const expiry = samples(parsed, 'dispatcharr_profile_expiry_timestamp_seconds').find((s) => s.labels['account_name'] === 'Old Reseller');
    assert.ok(expiry && expiry.value < snapshot.time, 'the expired subscription ended before now');
  }
  assert.ok(nearLimit >= scrapes / 2, `StreamCo's default profile near its limit in ${nearLimit} of ${scrapes} scrapes`);
});

test('channels start and stop, viewers come and go, and streams fail over now and then', () => {
  const seen = new Set<string>();
  const clients = new Set<string>();
  const starts = new Map<string, Set<string>>();
  let previous = new Map<string, { init: string; stream: string }>();
  let stops = 0;
  let failovers = 0;
  for (const snapshot of timeline(demo(), 0, 7200, 20)) {
    const live = snapshot.parts.live?.ok ? snapshot.parts.live.value : assert.fail('live part');
    const join = snapshot.parts.liveJoin?.ok ? snapshot.parts.liveJoin.value : assert.fail('liveJoin part');
    assert.ok(
      join.channels.some((row) => (row.position ?? 0) > 0),
      'a channel plays a backup stream at every moment',
    );
    const now = new Map(live.channels.map((c) => [c.uuid, { init: c.metadata.init_time ?? '', stream: c.metadata.stream_id ?? '' }]));
    for (const [uuid, state] of now) {
      seen.add(uuid);
      const set = starts.get(uuid) ?? new Set();
      starts.set(uuid, set.add(state.init));
      const before = previous.get(uuid);
      if (before && before.init === state.init && before.stream !== state.stream) failovers++;
    }
    stops += [...previous.keys()].filter((uuid) => !now.has(uuid)).length;
    for (const channel of live.channels) for (const client of channel.clients) clients.add(client.id);
    previous = now;
  }
  assert.ok(seen.size >= 12, `${seen.size} channels played`);
  assert.ok(stops >= 10, `${stops} channels stopped`);
  assert.ok(
    [...starts.values()].some((inits) => inits.size >= 2),
    'a channel stopped and started again',
  );
  assert.ok(clients.size >= 100, `${clients.size} clients came and went`);
  assert.ok(failovers >= 2, `${failovers} failovers of a live channel`);
});

test('M3U accounts and EPG sources go through their refresh states', () => {
  const m3u = new Set<string>();
  const epg = new Set<string>();
  for (const snapshot of timeline(demo(), 0, 3600, 15)) {
    const { parsed } = scrape(snapshot, everything('v2'));
    for (const s of samples(parsed, 'dispatcharr_m3u_account_stream_count')) m3u.add(s.labels['status'] ?? '');
    for (const s of samples(parsed, 'dispatcharr_epg_source_priority')) epg.add(s.labels['status'] ?? '');
  }
  assert.deepEqual([...m3u].sort(), ['disabled', 'error', 'fetching', 'parsing', 'pending_setup', 'success']);
  assert.deepEqual([...epg].sort(), ['disabled', 'error', 'fetching', 'idle', 'parsing', 'success']);
});

test('VOD sessions and users: a few always watching, some paused', () => {
  let paused = 0;
  let watchingUsers = 0;
  for (const snapshot of timeline(demo(), 0, 7200, 60)) {
    const { parsed } = scrape(snapshot, everything('v2'));
    const [sessions] = samples(parsed, 'dispatcharr_vod_sessions');
    const [active] = samples(parsed, 'dispatcharr_vod_active_streams');
    assert.ok((sessions?.value ?? 0) >= 2, 'at least two VOD sessions');
    if ((active?.value ?? 0) < (sessions?.value ?? 0)) paused++;
    assert.equal(samples(parsed, 'dispatcharr_user_info').length, 6);
    watchingUsers += samples(parsed, 'dispatcharr_user_active_streams').filter((s) => s.value > 0).length;
  }
  assert.ok(paused > 0, 'a VOD session was paused');
  assert.ok(watchingUsers > 0, 'logged-in users watch');
});

test('counters only grow while their series lasts', () => {
  const counters = [
    'dispatcharr_stream_total_transfer_mb',
    'dispatcharr_stream_uptime_seconds',
    'dispatcharr_client_bytes_sent',
    'dispatcharr_events_total',
  ];
  let last = new Map<string, number>();
  let compared = 0;
  for (const snapshot of timeline(demo(), 0, 900, 4)) {
    const { parsed } = scrape(snapshot, everything('v2'));
    // A channel that stops and starts again between two scrapes starts its counters again: a new life, not a decrease.
    const live = snapshot.parts.live?.ok ? snapshot.parts.live.value.channels : [];
    const life = new Map(live.map((c) => [c.uuid, c.metadata.init_time]));
    const now = new Map<string, number>();
    for (const name of counters) {
      for (const s of samples(parsed, name))
        now.set(`${name}${JSON.stringify(s.labels)}${life.get(s.labels['channel_uuid'] ?? '') ?? ''}`, s.value);
    }
    for (const [series, value] of now) {
      const before = last.get(series);
      if (before === undefined) continue;
      compared++;
      assert.ok(value >= before, `${series} went from ${before} to ${value}`);
    }
    last = now;
  }
  assert.ok(compared > 500, `${compared} comparisons`);
});
