/** Malformed values: the reasons the readers give, the self-metric counter, and the rate-limited log line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Collector } from '../../src/collectors/collector.js';
import { clientsCollector } from '../../src/collectors/clients.js';
import { streamsCollector } from '../../src/collectors/streams.js';
import { renderExposition } from '../../src/exposition/render.js';
import type { Logger, LogFields } from '../../src/log.js';
import { fixedSettings } from '../../src/scrape/settings-source.js';
import { Scraper } from '../../src/scrape/scraper.js';
import { LOGGED_KEY_LIMIT, RateLimiter, SKIP_LOG_INTERVAL_MS, SkippedValues } from '../../src/scrape/skipped-values.js';
import { SKIP_REASONS, type Skip, SkipRecorder } from '../../src/skips.js';
import type { LiveState } from '../../src/snapshot.js';
import { isBadExpiry, readProfiles } from '../../src/sources/dispatcharr-db.js';
import { readLiveState } from '../../src/sources/dispatcharr-redis.js';
import { EventLog } from '../../src/sources/event-log.js';
import { LiveDiscovery } from '../../src/sources/live-discovery.js';
import { readVodCatalogue } from '../../src/sources/dispatcharr-vod.js';
import { fieldProblem, FUTURE_TOLERANCE_SECONDS } from '../../src/sources/field-checks.js';
import type { Queryable } from '../../src/sources/postgres.js';
import type { RedisSource } from '../../src/sources/redis.js';
import { RespError, type RespValue } from '../../src/sources/resp.js';
import { liveRow, NOW, ok, snapshot } from '../fixtures/snapshots.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { defaultSettings } from '../support/settings.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const MOVIE = '33333333-3333-4333-8333-333333333333';

type Value = { hash: Record<string, string> } | { set: string[] } | { string: string };

/** An in-memory Redis that answers the exporter's read commands as Redis does, WRONGTYPE included. */
function fakeRedis(data: Record<string, Value>): Pick<RedisSource, 'roundTrips' | 'scanAll' | 'pipeline'> {
  const wrongType = new RespError('WRONGTYPE Operation against a key holding the wrong kind of value');
  const answer = ([command, key = '', ...rest]: readonly string[]): RespValue => {
    const value = data[key];
    switch (command) {
      case 'DBSIZE':
        return Object.keys(data).length;
      case 'HMGET':
        if (value && !('hash' in value)) return wrongType;
        return rest.map((field) => (value && 'hash' in value ? (value.hash[field] ?? null) : null));
      case 'SMEMBERS':
        if (value && !('set' in value)) return wrongType;
        return value && 'set' in value ? value.set : [];
      case 'MGET':
        return [key, ...rest].map((k) => {
          const v = data[k];
          return v && 'string' in v ? v.string : null;
        });
      default:
        throw new Error(`unexpected command ${command}`);
    }
  };
  return {
    roundTrips: 0,
    scanAll: () => Promise.resolve(Object.keys(data)),
    pipeline: (commands: readonly (readonly string[])[]) => Promise.resolve(commands.map(answer)),
  };
}

const sorted = (skips: readonly Skip[]) => [...skips].map((s) => [s.source, s.reason, s.key, s.field ?? ''].join(' ')).sort();

test('field checks: malformed values get a reason, absent and expected ones none', () => {
  assert.equal(fieldProblem('amount', 'fast', NOW), 'not_a_number');
  assert.equal(fieldProblem('amount', '1e999', NOW), 'not_a_number');
  assert.equal(fieldProblem('amount', 'NaN', NOW), 'not_a_number');
  assert.equal(fieldProblem('amount', '-5', NOW), 'negative_number');
  assert.equal(fieldProblem('amount', '0', NOW), undefined, 'zero is ffmpeg saying it has no figure yet');
  assert.equal(fieldProblem('amount', ' 25.0 ', NOW), undefined);
  assert.equal(fieldProblem('amount', '', NOW), undefined, "empty is Dispatcharr's none");
  assert.equal(fieldProblem('amount', undefined, NOW), undefined);
  assert.equal(fieldProblem('speed', '1.02x', NOW), undefined);
  assert.equal(fieldProblem('speed', 'slow', NOW), 'not_a_number');
  assert.equal(fieldProblem('timestamp', String(NOW + 3600), NOW), 'future_timestamp');
  assert.equal(fieldProblem('timestamp', String(NOW + FUTURE_TOLERANCE_SECONDS), NOW), undefined, 'written while the scrape ran');
  assert.equal(fieldProblem('timestamp', '0', NOW), 'bad_timestamp');
  assert.equal(fieldProblem('timestamp', '-1', NOW), 'bad_timestamp');
  assert.equal(fieldProblem('timestamp', 'yesterday', NOW), 'not_a_number');
  assert.equal(fieldProblem('timestamp', String(NOW - 10), NOW), undefined);
  assert.equal(fieldProblem('user_id', 'abc', NOW), 'not_an_id');
  for (const anonymous of ['0', 'unknown', 'None', '']) assert.equal(fieldProblem('user_id', anonymous, NOW), undefined, anonymous);
  assert.equal(fieldProblem('id', 'unknown', NOW), 'not_an_id');
  assert.equal(fieldProblem('id', '1'.repeat(19), NOW), 'not_an_id', 'too long for a bigint');
  assert.equal(fieldProblem('id', 'None', NOW), undefined);
  assert.equal(fieldProblem('uuid', 'nope', NOW), 'not_a_uuid');
  assert.equal(fieldProblem('uuid', MOVIE.toUpperCase(), NOW), undefined);
  assert.equal(fieldProblem('text', '\u0000 anything', NOW), undefined);
});

test('the Redis reader records each malformed value by key and field, and no expected absence', async () => {
  const recorder = new SkipRecorder();
  const state = await readLiveState(
    fakeRedis({
      [`live:channel:${U1}:metadata`]: {
        hash: {
          state: 'active',
          init_time: String(NOW + 3600),
          source_fps: 'fast',
          video_bitrate: '-5',
          ffmpeg_speed: '1.02x',
          stream_id: 'None',
          m3u_profile: 'abc',
          total_bytes: '',
        },
      },
      [`live:channel:${U1}:clients`]: { set: ['c1', 'ghost'] },
      [`live:channel:${U1}:clients:c1`]: { hash: { user_id: 'abc', connected_at: '0', bytes_sent: '12' } },
      [`live:channel:${U2}:metadata`]: { string: 'not a hash' },
      'live:channel:not-a-channel:metadata': { hash: { state: 'active' } },
      [`live:channel:${'ab'.repeat(32)}:metadata`]: { hash: { state: 'active', init_time: 'x' } },
      'channel_stream:12': { string: 'abc' },
      'channel_stream:13': { string: '7' },
      'channel_stream:14': { string: 'None' },
      'stream_profile:7': { hash: { x: '1' } },
      'vod_persistent_connection:vod_1_2': {
        hash: {
          user_id: 'unknown',
          content_uuid: 'nope',
          active_streams: '1',
          created_at: String(NOW + 30),
          bytes_sent: '1e999',
          m3u_profile_id: '',
        },
      },
    }),
    { skips: recorder, now: NOW },
  );
  assert.deepEqual(sorted(recorder.list()), [
    `redis bad_timestamp live:channel:${U1}:clients:c1 connected_at`,
    `redis future_timestamp live:channel:${U1}:metadata init_time`,
    `redis negative_number live:channel:${U1}:metadata video_bitrate`,
    `redis not_a_number live:channel:${U1}:metadata source_fps`,
    'redis not_a_number vod_persistent_connection:vod_1_2 bytes_sent',
    'redis not_a_uuid live:channel:not-a-channel:metadata ',
    'redis not_a_uuid vod_persistent_connection:vod_1_2 content_uuid',
    'redis not_an_id channel_stream:12 ',
    `redis not_an_id live:channel:${U1}:clients:c1 user_id`,
    `redis not_an_id live:channel:${U1}:metadata m3u_profile`,
    `redis wrong_type live:channel:${U2}:metadata `,
  ]);
  // What the reader returns is unchanged: the ghost client and the unreadable channel are left out as before.
  assert.deepEqual(
    state.channels.map((c) => [c.uuid, c.clients.map((client) => client.id)]),
    [[U1, ['c1']]],
  );
  assert.deepEqual(state.reservedStreams, { '13': 7 });
  assert.equal(state.vodSessions[0]?.fields.content_uuid, 'nope');
});

test('a malformed value is recorded once however often it is reported', () => {
  const recorder = new SkipRecorder();
  for (let i = 0; i < 3; i++) recorder.add({ source: 'redis', reason: 'not_a_number', key: 'k', field: 'f' });
  recorder.add({ source: 'redis', reason: 'not_a_number', key: 'k', field: 'g' });
  assert.equal(recorder.list().length, 2);
});

test('the profile reader records an XC expiry that is not a Unix time, only when the column does not win', async () => {
  const rows = [
    { id: '1', exp_column: null, exp_info: 'soon' },
    { id: '2', exp_column: null, exp_info: '0' },
    { id: '3', exp_column: null, exp_info: null },
    { id: '4', exp_column: NOW, exp_info: 'soon' },
    { id: '5', exp_column: null, exp_info: '-1' },
    { id: '6', exp_column: null, exp_info: String(NOW) },
    { id: '7', exp_column: null, exp_info: 'null' },
    { id: '8', exp_column: null, exp_info: '' },
  ].map((r) => ({ ...r, name: `P${r.id}`, max_streams: 1, account_name: 'A', account_type: 'XC', account_locked: false }));
  const db: Queryable = { query: <Row>() => Promise.resolve(rows as Row[]) };
  const recorder = new SkipRecorder();
  const profiles = await readProfiles(db, { profileExpDateColumn: true } as never, recorder);
  assert.deepEqual(sorted(recorder.list()), [
    'postgres bad_expiry m3u_m3uaccountprofile:1 custom_properties.user_info.exp_date',
    'postgres bad_expiry m3u_m3uaccountprofile:5 custom_properties.user_info.exp_date',
  ]);
  assert.deepEqual(
    profiles.map((p) => p.expiresAt),
    [null, null, null, NOW, null, NOW, null, null],
  );
  assert.equal(isBadExpiry('1.7e9'), true);
  assert.equal(isBadExpiry(' 0.0 '), false);
});

test('the VOD catalogue reader records a provider width that is not a number', async () => {
  const live: LiveState = {
    channels: [],
    vodSessions: [{ id: 'vod_1_2', fields: { active_streams: '1', content_obj_type: 'movie', content_uuid: MOVIE } }],
    reservedStreams: {},
    streamProfiles: {},
    roundTrips: 2,
    discovery: { mode: 'scan' as const, keyspace: 0 },
  };
  const row = { n: '1', kind: 'movie', name: 'M', video_width: 'wide', video_height: '1080' };
  const db: Queryable = { query: <Row>() => Promise.resolve([row] as Row[]) };
  const recorder = new SkipRecorder();
  await readVodCatalogue(db, live, recorder);
  assert.deepEqual(sorted(recorder.list()), [
    `postgres not_a_number vod_movie:${MOVIE} vod_m3umovierelation.custom_properties.detailed_info.video.width`,
  ]);
});

test('a negative byte count is left out, never published (the reason negative_number says so)', () => {
  const snap = snapshot({
    live: ok({
      channels: [
        {
          uuid: U1,
          metadata: { init_time: String(NOW - 100), total_bytes: '-1000' },
          clients: [{ id: 'c1', fields: { bytes_sent: '-5' } }],
        },
      ],
      vodSessions: [],
      reservedStreams: {},
      streamProfiles: {},
      roundTrips: 2,
      discovery: { mode: 'scan' as const, keyspace: 0 },
    }),
    liveJoin: ok({
      channels: [liveRow({ uuid: U1, name: 'C' })],
      usernames: {},
    }),
  });
  const settings = defaultSettings({ include_client_stats: true });
  const m = parseExposition(renderExposition([...streamsCollector.collect(snap, settings), ...clientsCollector.collect(snap, settings)]));
  const samples = (name: string) => m.get(name)?.samples.length ?? 0;
  assert.equal(samples('dispatcharr_stream_uptime_seconds'), 1, 'the channel itself is there');
  assert.equal(samples('dispatcharr_stream_avg_bitrate_kbps'), 0);
  assert.equal(samples('dispatcharr_stream_total_transfer_mb'), 0);
  assert.equal(samples('dispatcharr_client_bytes_sent'), 0);
});

interface Line {
  readonly msg: string;
  readonly fields: LogFields;
}

function capturingLogger(): { logger: Logger; warnings: Line[] } {
  const warnings: Line[] = [];
  const none = () => {};
  return { logger: { debug: none, info: none, error: none, warn: (msg, fields = {}) => warnings.push({ msg, fields }) }, warnings };
}

const skip = (reason: Skip['reason'], key: string, field?: string): Skip => ({
  source: 'redis',
  reason,
  key,
  ...(field !== undefined && { field }),
});

test('the rate limiter says yes once per kind per interval', () => {
  let now = 0;
  const limiter = new RateLimiter(1000, () => now);
  assert.equal(limiter.allow('a'), true);
  assert.equal(limiter.allow('a'), false);
  assert.equal(limiter.allow('b'), true);
  now = 999;
  assert.equal(limiter.allow('a'), false);
  now = 1000;
  assert.equal(limiter.allow('a'), true);
  assert.equal(limiter.allow('a'), false);
});

test('the counter has every known reason at 0 from the start and only grows', () => {
  const { logger } = capturingLogger();
  const tally = new SkippedValues(logger, () => 0);
  const pairs = Object.entries(SKIP_REASONS).flatMap(([source, reasons]) => reasons.map((reason) => `${source}/${reason}`));
  assert.deepEqual(
    tally.list().map((t) => `${t.source}/${t.reason}`),
    pairs,
  );
  assert.ok(tally.list().every((t) => t.count === 0));
  const count = () => tally.list().find((t) => t.source === 'redis' && t.reason === 'not_a_number')?.count;
  tally.add([skip('not_a_number', 'a', 'source_fps'), skip('not_a_number', 'b', 'video_bitrate'), skip('not_an_id', 'c')]);
  assert.equal(count(), 2);
  tally.add([]);
  assert.equal(count(), 2);
  tally.add([skip('not_a_number', 'a', 'source_fps')]);
  assert.equal(count(), 3);
  assert.equal(tally.list().find((t) => t.reason === 'not_an_id')?.count, 1);
});

test('one warning per source and reason per minute, with the count since the last one and a key, never a value', () => {
  let now = 1_000_000;
  const { logger, warnings } = capturingLogger();
  const tally = new SkippedValues(logger, () => now);
  tally.add([skip('not_a_number', 'live:channel:x:metadata', 'source_fps'), skip('not_a_number', 'live:channel:y:metadata', 'source_fps')]);
  assert.deepEqual(warnings, [
    {
      msg: 'skipped malformed values',
      fields: { source: 'redis', reason: 'not_a_number', count: 2, example_key: 'live:channel:x:metadata', example_field: 'source_fps' },
    },
  ]);
  now += SKIP_LOG_INTERVAL_MS - 1;
  tally.add([skip('not_a_number', 'live:channel:x:metadata', 'source_fps')]);
  assert.equal(warnings.length, 1, 'a second skip of the same kind within a minute is not logged');
  tally.add([skip('future_timestamp', 'live:channel:x:metadata', 'init_time')]);
  assert.equal(warnings.length, 2, 'another kind has its own minute');
  assert.equal(warnings[1]?.fields['reason'], 'future_timestamp');
  now += 1;
  tally.add([skip('not_a_number', 'k'.repeat(5000))]);
  assert.equal(warnings.length, 3, 'a minute later, another line');
  const third: LogFields = warnings[2]?.fields ?? {};
  assert.equal(third['count'], 2, 'the suppressed skip is counted in the next line');
  assert.equal(String(third['example_key']).length, LOGGED_KEY_LIMIT);
  assert.equal(third['example_field'], undefined);
});

test('the scraper counts each collection once, publishes the counter from the first scrape, and logs once a minute', async () => {
  const { logger, warnings } = capturingLogger();
  const redis = fakeRedis({ [`live:channel:${U1}:metadata`]: { hash: { state: 'active', source_fps: 'fast' } } });
  const liveReader: Collector = { name: 'live_reader', needs: ['live'], collect: () => [] };
  const db: Queryable = { query: <Row>() => Promise.resolve([{ app: 'dispatcharr_channels', number: 38 }] as Row[]) };
  const scraper = new Scraper({
    collectors: [liveReader],
    sources: {
      db,
      redis: { ...redis, drop() {} } as unknown as RedisSource,
      dispatcharrVersion: () => Promise.resolve('0.29.0'),
      liveDiscovery: new LiveDiscovery(),
      eventLog: new EventLog(),
    },
    settings: fixedSettings(defaultSettings()),
    logger,
    collectionSeconds: 5,
  });
  const skipped = async () => {
    const m = parseExposition(await scraper.scrape(Date.now() + 5000));
    assert.equal(m.get('dispatcharr_exporter_skipped_values_total')?.type, 'counter');
    assert.equal(sampleValue(m, 'dispatcharr_exporter_skipped_values_total', { source: 'postgres', reason: 'bad_expiry' }), 0);
    return sampleValue(m, 'dispatcharr_exporter_skipped_values_total', { source: 'redis', reason: 'not_a_number' });
  };
  assert.equal(await skipped(), 1);
  assert.equal(await skipped(), 2);
  // Two requests at once share one collection: its malformed value counts once.
  const [a, b] = await Promise.all([skipped(), skipped()]);
  assert.deepEqual([a, b], [3, 3]);
  assert.equal(warnings.filter((w) => w.msg === 'skipped malformed values').length, 1);
});
