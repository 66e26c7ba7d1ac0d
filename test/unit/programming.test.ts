import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutText, elapsedFraction, isoTime, programmingCollector } from '../../src/collectors/programming.js';
import { defaultCollectors, runCollectors } from '../../src/collectors/registry.js';
import { renderExposition } from '../../src/exposition/render.js';
import { silentLogger } from '../../src/log.js';
import type { ChannelProgrammes, LiveChannelRow, LiveState, Programme } from '../../src/snapshot.js';
import { parseExposition, sampleValue, type ParsedSample } from '../support/exposition.js';
import { defaultSettings } from '../support/settings.js';
import { failed, liveRow, NOW, ok, snapshot } from '../fixtures/snapshots.js';

// NOW = 1,800,000,000 s = 2027-01-15 08:00:00 UTC.
const WITH_EPG = '11111111-1111-4111-8111-111111111111';
const NO_EPG = '22222222-2222-4222-8222-222222222222';
const ENDING = '33333333-3333-4333-8333-333333333333';
const HOSTILE = '44444444-4444-4444-8444-444444444444';
const NOT_LIVE = '55555555-5555-4555-8555-555555555555';

const HOSTILE_TITLE = 'Say "cheese" \\ back\nslash 📺 チャンネル';
const HUGE_DESCRIPTION = `${'Ünïcødé "q" \\ \n'.repeat(100)}${'x'.repeat(100_000)}`;

const programme = (start: number, end: number, title: string, extra: Partial<Programme> = {}): Programme => ({
  title,
  subtitle: null,
  description: null,
  start,
  end,
  ...extra,
});

const live: LiveState = {
  channels: [WITH_EPG, NO_EPG, ENDING, HOSTILE].map((uuid) => ({ uuid, metadata: { state: 'active' }, clients: [] })),
  vodSessions: [],
  reservedStreams: {},
  streamProfiles: {},
  roundTrips: 3,
  discovery: { mode: 'scan', keyspace: 0 },
};

function row(uuid: string, number: number | null): LiveChannelRow {
  return liveRow({
    uuid,
    number,
    groupName: 'News',
    streamId: '5',
    streamName: 'S',
    provider: 'P',
    providerType: 'XC',
    streamProfile: 'Proxy',
    position: 0,
    availableStreams: 1,
  });
}

const programmes: ChannelProgrammes[] = [
  {
    uuid: WITH_EPG,
    previous: programme(NOW - 5400, NOW - 1800, 'Morning News', { subtitle: 'Part 1', description: 'The headlines.' }),
    current: programme(NOW - 1800, NOW + 1800, 'Midday Show', { subtitle: 'Episode 2', description: 'Guests and music.' }),
    next: programme(NOW + 1800, NOW + 3600, 'Weather'),
  },
  // The programme ended between the database read and the scrape time: the value stops at 1.
  { uuid: ENDING, previous: null, current: programme(NOW - 3600, NOW - 2, 'Late Film'), next: null },
  {
    uuid: HOSTILE,
    previous: null,
    current: programme(NOW, NOW + 600, HOSTILE_TITLE, { subtitle: '📺'.repeat(300), description: HUGE_DESCRIPTION }),
    next: null,
  },
  // Programmes of a channel that is not live (or not in the database) are never shown.
  { uuid: NOT_LIVE, previous: null, current: programme(NOW - 10, NOW + 10, 'Ghost'), next: null },
];

const liveJoin = { channels: [row(WITH_EPG, 1001), row(NO_EPG, 1002), row(ENDING, null), row(HOSTILE, 7.5)], usernames: {} };
const snap = snapshot({ live: ok(live), liveJoin: ok(liveJoin), programmes: ok(programmes) });
const settings = defaultSettings();

function samples(): ParsedSample[] {
  const m = parseExposition(renderExposition(programmingCollector.collect(snap, settings)));
  return m.get('dispatcharr_stream_programming')?.samples ?? [];
}
const find = (uuid: string) => samples().find((s) => s.labels['channel_uuid'] === uuid);
const codePoints = (text: string | undefined) => [...(text ?? '')].length;

test('one sample per live channel with a programme on air; labels in the documented order', () => {
  assert.deepEqual(
    samples().map((s) => s.labels['channel_uuid']),
    [WITH_EPG, ENDING, HOSTILE],
    'in live-stream order; no sample without EPG data, none for a channel that is not live',
  );
  const sample = find(WITH_EPG);
  assert.deepEqual(sample?.labels, {
    channel_uuid: WITH_EPG,
    channel_number: '1001.0',
    previous_title: 'Morning News',
    previous_subtitle: 'Part 1',
    previous_description: 'The headlines.',
    previous_start_time: '2027-01-15T06:30:00+00:00',
    previous_end_time: '2027-01-15T07:30:00+00:00',
    current_title: 'Midday Show',
    current_subtitle: 'Episode 2',
    current_description: 'Guests and music.',
    current_start_time: '2027-01-15T07:30:00+00:00',
    current_end_time: '2027-01-15T08:30:00+00:00',
    next_title: 'Weather',
    next_subtitle: '',
    next_description: '',
    next_start_time: '2027-01-15T08:30:00+00:00',
    next_end_time: '2027-01-15T09:00:00+00:00',
  });
  assert.equal(sample?.value, '0.5', 'half of the current programme elapsed');
});

test('a programme that ended during the scrape counts as complete, never above 1; no previous or next gives empty labels', () => {
  const sample = find(ENDING);
  assert.equal(sample?.value, '1');
  assert.equal(sample?.labels['channel_number'], '', 'as the other stream families: empty without a number');
  for (const slot of ['previous', 'next']) {
    for (const field of ['title', 'subtitle', 'description', 'start_time', 'end_time']) {
      assert.equal(sample?.labels[`${slot}_${field}`], '', `${slot}_${field}`);
    }
  }
  assert.equal(sample?.labels['current_end_time'], '2027-01-15T07:59:58+00:00');
});

test('a programme starting exactly now is at 0', () => {
  assert.equal(find(HOSTILE)?.value, '0');
});

test('hostile text survives escaping; long text is cut to the documented limits on a character boundary', () => {
  const labels = find(HOSTILE)?.labels ?? {};
  assert.equal(labels['current_title'], HOSTILE_TITLE);
  assert.equal(labels['channel_number'], '7.5');
  const description = labels['current_description'] ?? '';
  assert.equal(codePoints(description), 500);
  assert.ok(description.endsWith('…'));
  assert.equal(description.slice(0, -1), [...HUGE_DESCRIPTION].slice(0, 499).join(''));
  const subtitle = labels['current_subtitle'] ?? '';
  assert.equal(codePoints(subtitle), 200);
  assert.equal(subtitle, `${'📺'.repeat(199)}…`, 'no emoji split in half');
  assert.ok(renderExposition(programmingCollector.collect(snap, settings)).length < 10_000, 'a 100 KB description stays out of the scrape');
});

test('cutText counts code points: text at the limit is kept, one more is cut', () => {
  assert.equal(cutText('abc', 3), 'abc');
  assert.equal(cutText('abcd', 3), 'ab…');
  assert.equal(cutText('📺📺📺', 3), '📺📺📺', 'six UTF-16 units, three characters');
  assert.equal(cutText('📺📺📺📺', 3), '📺📺…');
  assert.equal(cutText('', 3), '');
});

test('isoTime: UTC to the second with +00:00; elapsedFraction stays within 0 and 1', () => {
  assert.equal(isoTime(0), '1970-01-01T00:00:00+00:00');
  assert.equal(isoTime(1_767_376_800.75), '2026-01-02T18:00:00+00:00');
  assert.equal(isoTime(Number.POSITIVE_INFINITY), '');
  const p = programme(100, 200, 't');
  assert.equal(elapsedFraction(p, 50), 0);
  assert.equal(elapsedFraction(p, 100), 0);
  assert.equal(elapsedFraction(p, 125), 0.25);
  assert.equal(elapsedFraction(p, 200), 1);
  assert.equal(elapsedFraction(p, 1e9), 1);
  assert.equal(elapsedFraction(programme(100, Number.POSITIVE_INFINITY, 't'), 150), 0);
});

test('the family follows the stream families; a failed programmes read fails only this collector', () => {
  const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });
  const { families } = runCollectors(collectors, snap, settings, silentLogger);
  const names = families.map((f) => f.name);
  assert.equal(names.indexOf('dispatcharr_stream_programming'), names.indexOf('dispatcharr_stream_metadata') + 1);

  const broken = snapshot({ live: ok(live), liveJoin: ok(liveJoin), programmes: failed('statement timeout') });
  const { outcomes, families: left } = runCollectors(collectors, broken, settings, silentLogger);
  assert.equal(outcomes.find((o) => o.name === 'programming')?.success, false);
  assert.equal(outcomes.find((o) => o.name === 'streams')?.success, true);
  assert.ok(!left.some((f) => f.name === 'dispatcharr_stream_programming'));
  const m = parseExposition(renderExposition(left));
  assert.equal(sampleValue(m, 'dispatcharr_active_streams'), 4);
});
