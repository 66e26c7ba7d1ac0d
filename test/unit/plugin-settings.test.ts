import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPluginSettings } from '../../src/config/plugin-settings.js';
import { defaultSettings } from '../support/settings.js';

test('saved switches and base_url apply; host and port stay as started', () => {
  const next = applyPluginSettings(defaultSettings(), {
    include_epg_stats: true,
    include_m3u_stats: 'false',
    include_client_stats: 1,
    base_url: 'http://d.lan:9191/',
    port: 1234,
    host: '127.0.0.1',
  });
  assert.equal(next.include_epg_stats, true);
  assert.equal(next.include_m3u_stats, false);
  assert.equal(next.include_client_stats, true);
  assert.equal(next.base_url, 'http://d.lan:9191');
  assert.equal(next.port, defaultSettings().port);
  assert.equal(next.host, defaultSettings().host);
});

test('unreadable values and shapes leave the settings unchanged', () => {
  assert.deepEqual(applyPluginSettings(defaultSettings(), { include_epg_stats: 'maybe', base_url: 'ftp://x' }), defaultSettings());
  assert.deepEqual(applyPluginSettings(defaultSettings(), null), defaultSettings());
  assert.deepEqual(applyPluginSettings(defaultSettings(), ['include_epg_stats']), defaultSettings());
});
