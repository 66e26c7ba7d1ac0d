/** Demo mode's output: the real collectors and renderer on its snapshots, its collection starter, and its switch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { PLUGIN_OPTIONS } from '../../src/config/options.js';
import type { Config } from '../../src/config/settings.js';
import { demoCollection } from '../../src/demo/collection.js';
import { DEMO_DISPATCHARR_VERSION } from '../../src/demo/dispatcharr.js';
import { DEMO_START, demo, everything, samples, scrape, timeline } from '../support/demo.js';

test('every collector succeeds on the demo, in both layouts, with no duplicate series and output the strict reader accepts', () => {
  for (const layout of ['v2', 'v3'] as const) {
    const settings = everything(layout);
    for (const snapshot of timeline(demo(), 90, 3600, 90)) {
      const { families, outcomes, parsed } = scrape(snapshot, settings);
      for (const outcome of outcomes) assert.ok(outcome.success, `${layout}: ${outcome.name} failed: ${outcome.error}`);
      for (const family of families) {
        const series = family.samples.map((s) => JSON.stringify(s.labels));
        assert.equal(new Set(series).size, series.length, `${layout}: ${family.name} repeats a series`);
      }
      assert.equal(samples(parsed, 'dispatcharr_up')[0]?.value, 1);
      assert.equal(samples(parsed, 'dispatcharr_redis_up')[0]?.value, 1);
      assert.ok(parsed.has('dispatcharr_stream_programming'), 'now playing');
      assert.ok(parsed.has('dispatcharr_channel_events_total'), 'channel events');
    }
  }
});

test('the v3 layout shows the VOD sessions as streams, completed from the catalogue', () => {
  let vodStreams = 0;
  for (const snapshot of timeline(demo(), 0, 1800, 60)) {
    const { parsed } = scrape(snapshot, everything('v3'));
    const vod = samples(parsed, 'dispatcharr_stream_metadata').filter((s) => s.labels['type'] === 'vod');
    for (const s of vod) assert.notEqual(s.labels['channel_group'], '', 'a catalogue category');
    vodStreams += vod.length;
  }
  assert.ok(vodStreams > 0);
});

test('odd text reaches the labels intact: quotes, markup, backslashes, emoji, line feeds', () => {
  const names = new Set<string>();
  const agents = new Set<string>();
  let multiline = false;
  for (const snapshot of timeline(demo(), 0, 3600, 60)) {
    const { parsed } = scrape(snapshot, everything('v2'));
    for (const s of samples(parsed, 'dispatcharr_stream_metadata')) names.add(s.labels['channel_name'] ?? '');
    for (const s of samples(parsed, 'dispatcharr_client_info')) agents.add(s.labels['user_agent'] ?? '');
    multiline ||= samples(parsed, 'dispatcharr_stream_programming').some((s) => s.labels['current_description']?.includes('\n'));
  }
  assert.ok(names.has('Café "Late Night" 📺'));
  assert.ok([...agents].some((agent) => agent.includes('\\') && agent.includes('"')));
  assert.ok(multiline, 'a programme description with a line feed');
});

test('malformed values are counted as the readers count them: the weather loop reports no frame rate', () => {
  const snapshot = demo().snapshot(DEMO_START, new Set(['live']));
  assert.deepEqual(
    snapshot.skips?.map((s) => [s.source, s.reason, s.field]),
    [['redis', 'not_a_number', 'source_fps']],
  );
  assert.equal(snapshot.dispatcharrVersion, DEMO_DISPATCHARR_VERSION);
});

test('the demo collection answers at once, with the parts asked for and those they build on', async () => {
  let now = DEMO_START * 1000;
  const collect = demoCollection(demo(), () => now);
  const collection = collect(new Set(['liveJoin']), now + 1000);
  const done = await collection.done;
  assert.deepEqual(Object.keys(done.parts).sort(), ['database', 'live', 'liveJoin']);
  assert.equal(collection.partial(), done);
  now += 60_000;
  assert.equal((await collect(new Set(['users']), now + 1000).done).time, DEMO_START + 60);
});

function config(argv: string[], env: Record<string, string> = {}): Config {
  const command = loadConfig(argv, env);
  if (command.kind !== 'run') assert.fail(command.kind);
  return command.config;
}

test('--demo turns on every family switch that nothing sets, legacy ones aside; it is no plugin setting', () => {
  assert.equal(config([]).demo, false);
  const on = config(['--demo']);
  assert.equal(on.demo, true);
  assert.equal(on.settings.include_epg_stats, true);
  assert.equal(on.settings.include_client_stats, true);
  assert.equal(on.settings.include_legacy_metrics, false);
  assert.equal(config(['--demo', '--no-include-client-stats']).settings.include_client_stats, false);
  assert.equal(
    config([], { DISPATCHARR_EXPORTER_DEMO: 'true', DISPATCHARR_EXPORTER_INCLUDE_VOD_STATS: 'false' }).settings.include_vod_stats,
    false,
  );
  assert.equal(config(['--demo', '--include-legacy-metrics']).settings.include_legacy_metrics, true);
  assert.ok(!PLUGIN_OPTIONS.some((option) => (option.key as string) === 'demo'));
});
