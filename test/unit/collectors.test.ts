import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelsCollector } from '../../src/collectors/channels.js';
import { isEnabled } from '../../src/collectors/collector.js';
import { coreCollector } from '../../src/collectors/core.js';
import { epgCollector } from '../../src/collectors/epg.js';
import { m3uCollector } from '../../src/collectors/m3u.js';
import { profilesCollector } from '../../src/collectors/profiles.js';
import type { Settings } from '../../src/config/settings.js';
import { defaultSettings } from '../support/settings.js';
import type { MetricFamily } from '../../src/exposition/family.js';
import { PartUnavailable } from '../../src/snapshot.js';
import { account, failed, NOW, ok, profile, snapshot } from '../fixtures/snapshots.js';

const settings = (overrides: Partial<Settings> = {}): Settings => defaultSettings(overrides);

function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.find((f) => f.name === name);
  assert.ok(found, `family ${name} missing`);
  return found;
}

function values(families: MetricFamily[], name: string): [Record<string, string>, number][] {
  return family(families, name).samples.map((s) => [{ ...s.labels }, s.value]);
}

const accounts = [
  account({ id: '1', name: 'custom', locked: true, streamCount: 40 }),
  account({ id: '2', name: 'Custom', status: 'success', streamCount: 12 }),
  account({
    id: '3',
    name: 'Xtream',
    accountType: 'XC',
    status: 'error',
    isActive: false,
    username: 'alice',
    serverUrl: 'http://x.example:8080?password=pw',
    streamCount: 5,
  }),
  account({ id: '4', name: 'Odd', accountType: '', status: 'weird_status' }),
];

test('m3u: the locked built-in account is left out, a user account named Custom is kept', () => {
  const out = m3uCollector.collect(snapshot({ m3uAccounts: ok(accounts) }), settings());
  assert.deepEqual(values(out, 'dispatcharr_m3u_accounts'), [
    [{ status: 'total' }, 3],
    [{ status: 'active' }, 2],
  ]);
  assert.deepEqual(
    family(out, 'dispatcharr_m3u_account_stream_count').samples.map((s) => s.labels['account_name']),
    ['Custom', 'Xtream', 'Odd'],
  );
});

test('m3u: all seven statuses with zeros, then unknown statuses found in the data', () => {
  const out = m3uCollector.collect(snapshot({ m3uAccounts: ok(accounts) }), settings());
  assert.deepEqual(values(out, 'dispatcharr_m3u_account_status'), [
    [{ status: 'idle' }, 0],
    [{ status: 'fetching' }, 0],
    [{ status: 'parsing' }, 0],
    [{ status: 'error' }, 1],
    [{ status: 'success' }, 1],
    [{ status: 'pending_setup' }, 0],
    [{ status: 'disabled' }, 0],
    [{ status: 'weird_status' }, 1],
  ]);
});

test('m3u: stream counts carry the seed labels; source URLs only when asked, redacted, username only for XC', () => {
  const plain = values(m3uCollector.collect(snapshot({ m3uAccounts: ok(accounts) }), settings()), 'dispatcharr_m3u_account_stream_count');
  assert.deepEqual(plain[1], [{ account_id: '3', account_name: 'Xtream', account_type: 'XC', status: 'error', is_active: 'false' }, 5]);
  assert.equal(plain[2]?.[0]['account_type'], 'unknown');
  const withUrls = values(
    m3uCollector.collect(snapshot({ m3uAccounts: ok(accounts) }), settings({ include_source_urls: true })),
    'dispatcharr_m3u_account_stream_count',
  );
  assert.deepEqual(withUrls[1]?.[0], {
    account_id: '3',
    account_name: 'Xtream',
    account_type: 'XC',
    status: 'error',
    is_active: 'false',
    username: 'alice',
    server_url: 'http://x.example:8080?password=REDACTED',
  });
  assert.equal(withUrls[0]?.[0]['username'], undefined);
});

test('m3u: the legacy info family exists only with include_legacy_metrics', () => {
  const off = m3uCollector.collect(snapshot({ m3uAccounts: ok(accounts) }), settings());
  assert.equal(
    off.find((f) => f.name === 'dispatcharr_m3u_account_info'),
    undefined,
  );
  const on = m3uCollector.collect(snapshot({ m3uAccounts: ok(accounts) }), settings({ include_legacy_metrics: true }));
  assert.deepEqual(values(on, 'dispatcharr_m3u_account_info')[0], [
    { account_id: '2', account_name: 'Custom', account_type: 'STD', status: 'success', is_active: 'true', stream_count: '12' },
    1,
  ]);
});

test('m3u: a missing part makes the collector fail instead of reporting zeros', () => {
  assert.throws(() => m3uCollector.collect(snapshot({ m3uAccounts: failed('connection refused') }), settings()), PartUnavailable);
});

test('epg: counts, six statuses, priority with its real meaning, url only with include_source_urls', () => {
  const sources = [
    { id: '1', name: 'Main', sourceType: 'xmltv', status: 'success', isActive: true, priority: 10, url: 'http://e/x.xml?token=t' },
    { id: '2', name: 'SD', sourceType: 'schedules_direct', status: 'error', isActive: false, priority: 5, url: null },
  ];
  const out = epgCollector.collect(snapshot({ epgSources: ok(sources) }), settings({ include_epg_stats: true, include_source_urls: true }));
  assert.deepEqual(values(out, 'dispatcharr_epg_sources'), [
    [{ status: 'total' }, 2],
    [{ status: 'active' }, 1],
  ]);
  assert.equal(family(out, 'dispatcharr_epg_source_status').samples.length, 6);
  assert.match(family(out, 'dispatcharr_epg_source_priority').help, /higher/);
  assert.deepEqual(values(out, 'dispatcharr_epg_source_priority'), [
    [
      {
        source_id: '1',
        source_name: 'Main',
        source_type: 'xmltv',
        status: 'success',
        is_active: 'true',
        url: 'http://e/x.xml?token=REDACTED',
      },
      10,
    ],
    [{ source_id: '2', source_name: 'SD', source_type: 'schedules_direct', status: 'error', is_active: 'false' }, 5],
  ]);
  assert.equal(isEnabled(epgCollector, settings()), false);
  assert.equal(isEnabled(epgCollector, settings({ include_epg_stats: true })), true);
});

test('channels: total, enabled and groups, and the channels each channel profile serves', () => {
  const profiles = [
    { id: '1', name: 'Living room', enabled: 5 },
    { id: '2', name: 'Kids "only"', enabled: 0 },
  ];
  const out = channelsCollector.collect(snapshot({ channelCounts: ok({ total: 10, enabled: 7, groups: 3, profiles }) }), settings());
  assert.deepEqual(values(out, 'dispatcharr_channels'), [
    [{ status: 'total' }, 10],
    [{ status: 'enabled' }, 7],
  ]);
  assert.deepEqual(values(out, 'dispatcharr_channel_groups'), [[{}, 3]]);
  assert.deepEqual(values(out, 'dispatcharr_channel_profile_channels'), [
    [{ profile_id: '1', profile_name: 'Living room' }, 5],
    [{ profile_id: '2', profile_name: 'Kids "only"' }, 0],
  ]);
});

test('profiles: days to expiry are floored, 0 once expired, -1 without an expiry, absent for non-XC', () => {
  const day = 86_400;
  const profiles = [
    profile({ id: '1', name: 'a', expiresAt: NOW + 10 * day + day / 2 }),
    profile({ id: '2', name: 'b', expiresAt: NOW + day - 1 }),
    profile({ id: '3', name: 'c', expiresAt: NOW - 1 }),
    profile({ id: '4', name: 'd', expiresAt: null }),
    profile({ id: '5', name: 'e', accountType: 'STD', expiresAt: NOW + day }),
    profile({ id: '6', name: 'f', accountLocked: true, expiresAt: NOW + day }),
  ];
  const out = profilesCollector.collect(snapshot({ profiles: ok(profiles) }), settings());
  assert.deepEqual(values(out, 'dispatcharr_profile_days_to_expiry'), [
    [{ profile_id: '1', profile_name: 'a', account_name: 'Provider' }, 10],
    [{ profile_id: '2', profile_name: 'b', account_name: 'Provider' }, 0],
    [{ profile_id: '3', profile_name: 'c', account_name: 'Provider' }, 0],
    [{ profile_id: '4', profile_name: 'd', account_name: 'Provider' }, -1],
  ]);
  assert.deepEqual(
    values(out, 'dispatcharr_profile_expiry_timestamp_seconds').map(([labels, value]) => [labels['profile_id'], value]),
    [
      ['1', NOW + 10 * day + day / 2],
      ['2', NOW + day - 1],
      ['3', NOW - 1],
    ],
  );
});

test('core: versions and the seed settings labels in the seed order, without secrets', () => {
  const core = coreCollector({ version: '9.9.9', accessLog: false });
  const out = core.collect(snapshot({}, '0.15.1'), settings({ base_url: 'http://admin:pw@dispatcharr.lan:9191', port: 9300 }));
  assert.deepEqual(values(out, 'dispatcharr_info'), [[{ version: '0.15.1' }, 1]]);
  assert.deepEqual(values(out, 'dispatcharr_exporter_info'), [[{ version: '9.9.9' }, 1]]);
  const labels: Record<string, string> = values(out, 'dispatcharr_exporter_settings_info')[0]?.[0] ?? {};
  assert.deepEqual(Object.keys(labels), [
    'auto_start',
    'suppress_access_logs',
    'disable_update_notifications',
    'port',
    'host',
    'web_config_file',
    'base_url',
    'metrics_layout',
    'include_m3u_stats',
    'include_epg_stats',
    'include_vod_stats',
    'include_client_stats',
    'include_user_stats',
    'include_source_urls',
    'include_legacy_metrics',
  ]);
  assert.equal(labels['base_url'], 'http://admin:REDACTED@dispatcharr.lan:9191');
  assert.equal(labels['suppress_access_logs'], 'true');
  assert.equal(labels['disable_update_notifications'], 'unsupported');
  const logged = coreCollector({ version: '9.9.9', accessLog: true }).collect(snapshot({}), settings());
  assert.equal(values(logged, 'dispatcharr_exporter_settings_info')[0]?.[0]['suppress_access_logs'], 'false');
  assert.deepEqual(values(out, 'dispatcharr_exporter_port'), [[{}, 9300]]);
});
