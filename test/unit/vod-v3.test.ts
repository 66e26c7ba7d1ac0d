/** VOD sessions completed from Dispatcharr's VOD catalogue in the v3 layout: stream metadata and "now playing". */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partsNeeded } from '../../src/collectors/collector.js';
import { programmingCollector } from '../../src/collectors/programming.js';
import { defaultCollectors, runCollectors } from '../../src/collectors/registry.js';
import { streamsCollector } from '../../src/collectors/streams.js';
import { renderExposition } from '../../src/exposition/render.js';
import type { MetricFamily } from '../../src/exposition/family.js';
import { silentLogger } from '../../src/log.js';
import type { LiveState, VodSession } from '../../src/snapshot.js';
import type { VodContent, VodEpisode, VodMovie } from '../../src/snapshot-vod.js';
import { failed, liveRow, NOW, ok, profile, snapshot } from '../fixtures/snapshots.js';
import { type ParsedSample, parseExposition } from '../support/exposition.js';
import { defaultSettings } from '../support/settings.js';

// NOW = 1,800,000,000 s = 2027-01-15 08:00:00 UTC.
const MOVIE_UUID = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const EPISODE_UUID = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const HOSTILE = 'Say "cheese" \\ back\nslash 📺 チャンネル';
const HUGE = `${'Ünïcødé "q" \\ \n'.repeat(100)}${'x'.repeat(100_000)}`;

const ids = {
  movie: 'vod_1799998980000_0001',
  episode: 'vod_1799999730000_0002',
  missingMovie: 'vod_1799999900000_0003',
  missingEpisode: 'vod_1799999910000_0004',
  hostile: 'vod_1799999920000_0005',
  overrun: 'vod_1799999930000_0006',
  noStart: 'vod_1799999940000_0007',
  idle: 'vod_1799999950000_0008',
};

function vod(id: string, type: string, createdAt: number | undefined, extra: Record<string, string> = {}): VodSession {
  return {
    id,
    fields: {
      active_streams: '1',
      content_obj_type: type,
      content_uuid: type === 'movie' ? MOVIE_UUID : EPISODE_UUID,
      content_name: 'Name from Redis',
      m3u_profile_id: '10',
      bytes_sent: '1000',
      ...(createdAt !== undefined && { created_at: String(createdAt) }),
      ...extra,
    },
  };
}

const LIVE_UUID = '11111111-1111-4111-8111-111111111111';
const live: LiveState = {
  channels: [{ uuid: LIVE_UUID, metadata: { state: 'active' }, clients: [] }],
  vodSessions: [
    vod(ids.movie, 'movie', NOW - 1020),
    vod(ids.episode, 'episode', NOW - 270, { m3u_profile_id: '11' }),
    vod(ids.missingMovie, 'movie', NOW - 10),
    vod(ids.missingEpisode, 'episode', NOW - 10),
    vod(ids.hostile, 'movie', NOW - 10),
    vod(ids.overrun, 'movie', NOW - 600),
    vod(ids.noStart, 'episode', undefined),
    vod(ids.idle, 'movie', NOW - 10, { active_streams: '0' }),
  ],
  reservedStreams: {},
  streamProfiles: {},
  roundTrips: 3,
  discovery: { mode: 'scan', keyspace: 0 },
};

const movie = (sessionId: string, overrides: Partial<VodMovie> = {}): VodMovie => ({
  kind: 'movie',
  sessionId,
  name: 'Harbour Lights (1995)',
  year: 1995,
  genre: 'Action, Crime',
  description: 'One last job.',
  durationSecs: 10_200,
  logoId: '42',
  category: 'Action',
  videoCodec: 'hevc',
  videoWidth: '3840',
  videoHeight: '2160',
  ...overrides,
});
const episode = (sessionId: string, overrides: Partial<VodEpisode> = {}): VodEpisode => ({
  kind: 'episode',
  sessionId,
  name: 'Northern Line - S02E05 - The Depot',
  seasonNumber: 2,
  episodeNumber: 5,
  seriesName: 'Northern Line',
  description: 'A signal failure.',
  durationSecs: 2700,
  logoId: '43',
  category: 'Mystery',
  ...overrides,
});

const catalogue: VodContent[] = [
  movie(ids.movie),
  episode(ids.episode),
  movie(ids.hostile, {
    name: HOSTILE,
    year: null,
    genre: null,
    description: HUGE,
    durationSecs: null,
    logoId: null,
    category: `${HOSTILE} group`,
    videoCodec: null,
    videoWidth: '1920px',
    videoHeight: '1080',
  }),
  movie(ids.overrun, { name: 'Short (2001)', year: 1999, genre: '', durationSecs: 60 }),
  episode(ids.noStart, { name: 'Pilot', seasonNumber: null, episodeNumber: null, durationSecs: 0 }),
  movie(ids.idle),
];

const base = {
  live: ok(live),
  liveJoin: ok({
    channels: [
      liveRow({
        uuid: LIVE_UUID,
        name: 'News',
        number: 1001,
        streamId: '5',
        streamName: 'S',
        provider: 'P',
        providerType: 'XC',
        streamProfile: 'Proxy',
        position: 0,
        availableStreams: 1,
      }),
    ],
    usernames: {},
  }),
  programmes: ok([
    {
      uuid: LIVE_UUID,
      previous: null,
      current: { title: 'Live', subtitle: null, description: null, start: NOW - 60, end: NOW + 60 },
      next: null,
    },
  ]),
  profiles: ok([profile({ id: '10', name: 'Backup login', accountName: 'Provider A' }), profile({ id: '11', name: 'B Default' })]),
};
const snap = snapshot({ ...base, vodCatalogue: ok(catalogue) });
const v3 = defaultSettings({ metrics_layout: 'v3', base_url: 'http://dispatcharr.lan:9191' });

const parse = (families: MetricFamily[]) => parseExposition(renderExposition(families));
function family(name: string, families: MetricFamily[]): ParsedSample[] {
  return parse(families).get(name)?.samples ?? [];
}
const metadata = (id: string) =>
  family('dispatcharr_stream_metadata', streamsCollector.collect(snap, v3)).find((s) => s.labels['channel_uuid'] === id)?.labels;
const programming = (id: string) =>
  family('dispatcharr_stream_programming', programmingCollector.collect(snap, v3)).find((s) => s.labels['channel_uuid'] === id);
const noProgramme = (slot: 'previous' | 'next') =>
  Object.fromEntries(['title', 'subtitle', 'description', 'start_time', 'end_time'].map((f) => [`${slot}_${f}`, '']));

test('a movie: name, category, logo, video codec and resolution from the catalogue, in the v3 label order', () => {
  assert.deepEqual(metadata(ids.movie), {
    type: 'vod',
    channel_uuid: ids.movie,
    channel_number: '1799998980000',
    content_uuid: MOVIE_UUID,
    channel_name: 'Harbour Lights (1995)',
    channel_group: 'Action',
    content_type: 'movie',
    provider: 'Provider A',
    provider_type: 'XC',
    state: 'active',
    logo_url: 'http://dispatcharr.lan:9191/api/vod/vodlogos/42/cache/',
    profile_id: '10',
    profile_name: 'Backup login',
    stream_profile: '',
    video_codec: 'hevc',
    resolution: '3840x2160',
  });
});

test("logo links never carry base_url's credentials", () => {
  const withPassword = { ...v3, base_url: 'http://admin:hunter2@dispatcharr.lan:9191' };
  const labels = family('dispatcharr_stream_metadata', streamsCollector.collect(snap, withPassword)).find(
    (s) => s.labels['channel_uuid'] === ids.movie,
  )?.labels;
  assert.equal(labels?.['logo_url'], 'http://dispatcharr.lan:9191/api/vod/vodlogos/42/cache/');
});

test('a movie now playing: title without the year, "year - genre", from the session start for the duration', () => {
  const s = programming(ids.movie);
  assert.deepEqual(s?.labels, {
    type: 'vod',
    channel_uuid: ids.movie,
    channel_number: '1799998980000',
    ...noProgramme('previous'),
    current_title: 'Harbour Lights',
    current_subtitle: '1995 - Action, Crime',
    current_description: 'One last job.',
    current_start_time: '2027-01-15T07:43:00+00:00',
    current_end_time: '2027-01-15T10:33:00+00:00',
    ...noProgramme('next'),
  });
  assert.equal(s?.value, '0.1', '1,020 s of 10,200 s');
});

test('an episode: named after its series, with season, episode and series appended after resolution', () => {
  const labels = metadata(ids.episode);
  assert.deepEqual(Object.keys(labels ?? {}).slice(-4), ['resolution', 'season_number', 'episode_number', 'series_name']);
  assert.equal(labels?.['channel_name'], 'Northern Line');
  assert.equal(labels?.['channel_group'], 'Mystery');
  assert.equal(labels?.['logo_url'], 'http://dispatcharr.lan:9191/api/vod/vodlogos/43/cache/', "the series' logo");
  assert.equal(labels?.['video_codec'], '');
  assert.equal(labels?.['resolution'], '');
  assert.equal(labels?.['season_number'], '2');
  assert.equal(labels?.['episode_number'], '5');
  assert.equal(labels?.['series_name'], 'Northern Line');
  assert.equal(labels?.['provider'], 'Provider', 'the provider of its own profile');
});

test('an episode now playing: the series as title, "S02E05 - name" without the repeats of XC titles', () => {
  const s = programming(ids.episode);
  assert.equal(s?.labels['current_title'], 'Northern Line');
  assert.equal(s?.labels['current_subtitle'], 'S02E05 - The Depot');
  assert.equal(s?.labels['current_description'], 'A signal failure.');
  assert.equal(s?.labels['current_start_time'], '2027-01-15T07:55:30+00:00');
  assert.equal(s?.labels['current_end_time'], '2027-01-15T08:40:30+00:00');
  assert.equal(s?.value, '0.1');
});

test('content missing from the catalogue keeps the Redis name and empty labels, and has no programme', () => {
  const labels = metadata(ids.missingMovie);
  assert.equal(labels?.['channel_name'], 'Name from Redis');
  for (const name of ['channel_group', 'logo_url', 'video_codec', 'resolution']) assert.equal(labels?.[name], '', name);
  assert.equal(labels?.['season_number'], undefined, 'movies have no episode labels');
  const episodeLabels = metadata(ids.missingEpisode);
  assert.equal(episodeLabels?.['channel_name'], 'Name from Redis');
  for (const name of ['season_number', 'episode_number', 'series_name']) assert.equal(episodeLabels?.[name], '', name);
  assert.equal(programming(ids.missingMovie), undefined);
  assert.equal(programming(ids.missingEpisode), undefined);
});

test('hostile text survives escaping and is cut to the programme limits; an odd width gives no resolution', () => {
  const labels = metadata(ids.hostile);
  assert.equal(labels?.['channel_name'], HOSTILE);
  assert.equal(labels?.['channel_group'], `${HOSTILE} group`);
  assert.equal(labels?.['resolution'], '', 'width 1920px is not a number');
  assert.equal(labels?.['logo_url'], '');
  const s = programming(ids.hostile);
  assert.equal(s?.labels['current_title'], HOSTILE);
  assert.equal(s?.labels['current_subtitle'], '', 'no year, no genre');
  const description = s?.labels['current_description'] ?? '';
  assert.equal([...description].length, 500);
  assert.equal(description, `${[...HUGE.trim()].slice(0, 499).join('')}…`);
  assert.ok(renderExposition(programmingCollector.collect(snap, v3)).length < 10_000, 'the huge description stays out of the scrape');
});

test('unknown duration: value 0 and no end time; no start time without created_at; the value never exceeds 1', () => {
  const hostile = programming(ids.hostile);
  assert.equal(hostile?.value, '0');
  assert.equal(hostile?.labels['current_start_time'], '2027-01-15T07:59:50+00:00');
  assert.equal(hostile?.labels['current_end_time'], '');
  const noStart = programming(ids.noStart);
  assert.equal(noStart?.value, '0');
  assert.equal(noStart?.labels['current_start_time'], '');
  assert.equal(noStart?.labels['current_end_time'], '');
  assert.equal(noStart?.labels['current_subtitle'], 'Pilot', 'no season or episode number: the name alone');
  const overrun = programming(ids.overrun);
  assert.equal(overrun?.value, '1', '600 s into a 60 s film');
  assert.equal(overrun?.labels['current_title'], 'Short (2001)', 'only the movie’s own year is taken off');
  assert.equal(overrun?.labels['current_subtitle'], '1999');
  assert.equal(programming(ids.idle), undefined, 'a session without an open response is not a stream');
});

test('only the v3 layout reads the catalogue; v2 output has no VOD programme', () => {
  const v2 = defaultSettings();
  assert.ok(!partsNeeded(streamsCollector, v2).includes('vodCatalogue'));
  assert.ok(!partsNeeded(programmingCollector, v2).includes('vodCatalogue'));
  assert.ok(partsNeeded(streamsCollector, v3).includes('vodCatalogue'));
  assert.ok(partsNeeded(programmingCollector, v3).includes('vodCatalogue'));
  assert.ok(partsNeeded(streamsCollector, { ...v3, include_m3u_stats: false }).includes('vodCatalogue'));
  assert.deepEqual(
    family('dispatcharr_stream_programming', programmingCollector.collect(snap, v2)).map((s) => s.labels['channel_uuid']),
    [LIVE_UUID],
  );
});

test('live programmes first, typed live, then the VOD sessions in session order', () => {
  const all = family('dispatcharr_stream_programming', programmingCollector.collect(snap, v3));
  assert.deepEqual(
    all.map((s) => [s.labels['type'], s.labels['channel_uuid']]),
    [['live', LIVE_UUID], ...[ids.movie, ids.episode, ids.hostile, ids.overrun, ids.noStart].map((id) => ['vod', id])],
  );
});

test('a failed catalogue read fails the v3 stream and programming collectors, as any missing part does', () => {
  const broken = snapshot({ ...base, vodCatalogue: failed('statement timeout') });
  const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });
  const { outcomes } = runCollectors(collectors, broken, v3, silentLogger);
  assert.equal(outcomes.find((o) => o.name === 'streams')?.success, false);
  assert.equal(outcomes.find((o) => o.name === 'programming')?.success, false);
  assert.equal(outcomes.find((o) => o.name === 'core')?.success, true);
});
