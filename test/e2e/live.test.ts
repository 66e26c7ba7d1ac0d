/**
 * Live families against real Redis and PostgreSQL, for both key prefixes: `ts_proxy:` with the
 * Dispatcharr v0.15 schema and `live:` with v0.29.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NEWS_PROGRAMMES, seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { HOSTILE_USER_AGENT, writeLiveScenario, type LiveScenario } from '../fixtures/live-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, sampleValue, type ParsedFamily } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { promtoolCheckMetrics, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { documentedPromtoolFindings } from '../support/readme.js';
import { allocateRedisDb, openRedisWriter, redisEnv, type RedisWriter } from '../support/redis.js';
import { ALL_GATES } from '../support/settings.js';

const SECRETS = ['hunter2', 'secret-token', 'vod-secret', 'provider.example', 'cdn.example', 'Bearer', 's3cret', 'oldpass'];

const close = (a: number | undefined, b: number, tolerance: number) => a !== undefined && Math.abs(a - b) <= tolerance;

/** Labels of one programme slot of dispatcharr_stream_programming, from News One's guide in the dataset. */
function programmeLabels(slot: 'previous' | 'current' | 'next', now: number): Record<string, string> {
  const p = NEWS_PROGRAMMES[slot];
  const iso = (offset: number) => `${new Date((now + offset) * 1000).toISOString().slice(0, 19)}+00:00`;
  return {
    [`${slot}_title`]: p.title,
    [`${slot}_subtitle`]: p.subtitle ?? '',
    [`${slot}_description`]: p.description ?? '',
    [`${slot}_start_time`]: iso(p.from),
    [`${slot}_end_time`]: iso(p.to),
  };
}

for (const [version, prefix] of [
  ['v0.15', 'ts_proxy:'],
  ['v0.29', 'live:'],
] as const) {
  describe(`live families, Dispatcharr ${version} (${prefix} keys)`, () => {
    let db: TestDatabase;
    let data: SeededDataset;
    let redis: RedisWriter;
    let scenario: LiveScenario;
    let exporter: RunningExporter;
    let m: Map<string, ParsedFamily>;
    let text: string;
    const v29 = version === 'v0.29';
    const newsNumber = v29 ? '101.0' : '1001.0';

    before(async () => {
      db = await createTestDatabase(version, 'live');
      data = await seedDataset(db);
      redis = await openRedisWriter(allocateRedisDb());
      scenario = await writeLiveScenario(redis, prefix, data, v29);
      exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) }, [
        ...ALL_GATES,
        '--base-url',
        'http://dispatcharr.lan:9191',
      ]);
      text = await exporter.metrics();
      m = parseExposition(text);
    });
    after(async () => {
      await exporter.stop();
      redis.close();
      await db.drop();
    });

    const news = () => ({ channel_uuid: data.channels.news.uuid, channel_number: newsNumber });
    const sports = () => ({ channel_uuid: data.channels.sports.uuid, channel_number: '1015.5' });
    const movies = () => ({ channel_uuid: data.channels.movies.uuid, channel_number: '2000.0' });

    test('only channels with live metadata that exist in the database count', () => {
      assert.equal(sampleValue(m, 'dispatcharr_redis_up'), 1);
      assert.equal(sampleValue(m, 'dispatcharr_active_streams'), 3);
      // In channel-number order: News (1001, or 101 by override), Sports HD (1015.5), Movie Night (2000).
      assert.deepEqual(
        m.get('dispatcharr_stream_metadata')?.samples.map((s) => s.labels['channel_uuid']),
        [data.channels.news.uuid, data.channels.sports.uuid, data.channels.movies.uuid],
      );
    });

    test('failover: the playing stream, its place in the list, and a stream no longer in the list', () => {
      assert.equal(sampleValue(m, 'dispatcharr_stream_id', news()), Number(data.streams.b1));
      assert.equal(sampleValue(m, 'dispatcharr_stream_index', news()), 1);
      assert.equal(sampleValue(m, 'dispatcharr_stream_index', sports()), 0);
      assert.equal(sampleValue(m, 'dispatcharr_stream_id', movies()), Number(data.streams.b2));
      assert.equal(sampleValue(m, 'dispatcharr_stream_index', movies()), -1);
      assert.equal(sampleValue(m, 'dispatcharr_stream_available_streams', news()), 2);
      assert.equal(sampleValue(m, 'dispatcharr_stream_available_streams', movies()), 1);
    });

    test('stalls: when data last came from the provider, and when and why the stream last switched, as Unix times', () => {
      const close = (actual: number | undefined, expected: number) =>
        assert.ok(actual !== undefined && Math.abs(actual - expected) < 0.01, `${actual} is not ${expected}`);
      // News One started an hour ago, failed over 30 s later, and its last data came 60 s after the start.
      close(sampleValue(m, 'dispatcharr_stream_last_data_timestamp_seconds', news()), scenario.now - 3600 + 60);
      close(
        sampleValue(m, 'dispatcharr_stream_last_switch_timestamp_seconds', { ...news(), reason: 'failover' }),
        scenario.now - 3600 + 30,
      );
      assert.equal(
        sampleValue(m, 'dispatcharr_stream_last_switch_timestamp_seconds', { ...sports(), reason: '' }),
        undefined,
        'never switched',
      );
    });

    test('clients, viewers and ghosts', () => {
      assert.equal(sampleValue(m, 'dispatcharr_stream_active_clients', news()), 3, 'the ghost client is not counted');
      assert.equal(sampleValue(m, 'dispatcharr_stream_viewers', news()), 2, 'two clients share one IP address');
      assert.equal(sampleValue(m, 'dispatcharr_stream_active_clients', movies()), 0);
      assert.equal(sampleValue(m, 'dispatcharr_stream_viewers', movies()), 0);
      assert.equal(sampleValue(m, 'dispatcharr_active_clients'), 4);
    });

    test('units: uptime, kbps of ingest, MiB, ffmpeg figures', () => {
      const uptime = sampleValue(m, 'dispatcharr_stream_uptime_seconds', news());
      assert.ok(close(uptime, 3600, 30), `uptime ${uptime}`);
      assert.ok(
        close(sampleValue(m, 'dispatcharr_stream_avg_bitrate_kbps', news()), (scenario.newsTotalBytes * 8) / (uptime ?? 1) / 1000, 1e-6),
      );
      assert.equal(sampleValue(m, 'dispatcharr_stream_total_transfer_mb', news()), scenario.newsTotalBytes / 1_048_576);
      assert.equal(sampleValue(m, 'dispatcharr_stream_fps', news()), 50);
      assert.equal(sampleValue(m, 'dispatcharr_stream_video_bitrate_kbps', news()), 7800.5);
      assert.equal(sampleValue(m, 'dispatcharr_stream_transcode_bitrate_kbps', news()), 6000);
      assert.equal(sampleValue(m, 'dispatcharr_stream_buffering_speed', news()), 1.02);
      assert.equal(sampleValue(m, 'dispatcharr_stream_channel_number', news()), Number(newsNumber));
      assert.match(text, new RegExp(`^dispatcharr_stream_channel_number\\{[^}]*\\} ${newsNumber.replace('.', '\\.')}$`, 'm'));
    });

    test('missing fields give absent samples and unknown labels, never zeros', () => {
      assert.equal(sampleValue(m, 'dispatcharr_stream_fps', sports()), undefined, 'the Proxy profile reports no fps');
      assert.equal(sampleValue(m, 'dispatcharr_stream_uptime_seconds', movies()), undefined);
      assert.equal(sampleValue(m, 'dispatcharr_stream_avg_bitrate_kbps', movies()), undefined);
      assert.equal(sampleValue(m, 'dispatcharr_stream_total_transfer_mb', movies()), 1);
      const meta = m.get('dispatcharr_stream_metadata')?.samples.find((s) => s.labels['channel_uuid'] === data.channels.movies.uuid);
      assert.equal(meta?.labels['state'], 'unknown');
      assert.equal(meta?.labels['video_codec'], 'unknown');
      assert.equal(meta?.labels['stream_profile'], 'ffmpeg', "Dispatcharr's default stream profile");
      const sportsMeta = m.get('dispatcharr_stream_metadata')?.samples.find((s) => s.labels['channel_uuid'] === data.channels.sports.uuid);
      assert.equal(sportsMeta?.labels['stream_profile'], 'Proxy', 'from the metadata');
    });

    test("metadata carries the seed's 14 labels with names from the database", () => {
      const meta = m.get('dispatcharr_stream_metadata')?.samples.find((s) => s.labels['channel_uuid'] === data.channels.news.uuid);
      assert.deepEqual(meta?.labels, {
        ...news(),
        channel_name: v29 ? 'News One HD' : 'News One',
        stream_id: data.streams.b1,
        stream_name: 'B News',
        provider: 'Provider B',
        provider_type: 'STD',
        state: 'active',
        logo_url: `http://dispatcharr.lan:9191/api/channels/logos/${data.logoId}/cache/`,
        profile_id: data.profiles.bDefault,
        profile_name: 'Provider B Default',
        stream_profile: 'ffmpeg',
        video_codec: 'h264',
        resolution: '1920x1080',
      });
      const names = [...m.keys()];
      assert.equal(
        names.indexOf('dispatcharr_stream_metadata'),
        names.indexOf('dispatcharr_stream_available_streams') + 2,
        'after the value families and the legacy family',
      );
    });

    test('now playing: News One between its previous and next programmes; live channels without EPG data have no sample', () => {
      const samples = m.get('dispatcharr_stream_programming')?.samples ?? [];
      assert.deepEqual(
        samples.map((s) => s.labels['channel_uuid']),
        [data.channels.news.uuid],
      );
      assert.deepEqual(samples[0]?.labels, {
        ...news(),
        ...programmeLabels('previous', data.now),
        ...programmeLabels('current', data.now),
        ...programmeLabels('next', data.now),
      });
      // Scraped seconds after seeding: just over half of the current hour-long programme.
      const value = Number(samples[0]?.value);
      assert.ok(value >= 0.5 && value < 0.5 + 120 / 3600, `elapsed fraction ${value}`);
      const names = [...m.keys()];
      assert.equal(names.indexOf('dispatcharr_stream_programming'), names.indexOf('dispatcharr_stream_metadata') + 1);
    });

    test('profile connections: live channels plus streaming VOD sessions, right for unlimited profiles too', () => {
      const p = (id: string) => ({ profile_id: id });
      assert.equal(
        sampleValue(m, 'dispatcharr_profile_connections', p(data.profiles.bDefault)),
        2,
        'unlimited profile: News One and a VOD episode',
      );
      assert.equal(sampleValue(m, 'dispatcharr_profile_connections', p(data.profiles.aDefault)), 2);
      assert.equal(sampleValue(m, 'dispatcharr_profile_connections', p(data.profiles.aBackup)), 1, 'the streaming VOD session');
      assert.equal(sampleValue(m, 'dispatcharr_profile_connection_usage', p(data.profiles.aDefault)), 1);
      assert.equal(
        sampleValue(m, 'dispatcharr_profile_connection_usage', p(data.profiles.bDefault)),
        undefined,
        'no ratio without a limit',
      );
      assert.equal(sampleValue(m, 'dispatcharr_stream_profile_connections', sports()), 2);
      assert.equal(sampleValue(m, 'dispatcharr_stream_profile_max_connections', sports()), 2);
      assert.equal(sampleValue(m, 'dispatcharr_stream_profile_max_connections', news()), 0);
    });

    test('per-client figures in kbps (KiB/s × 8.192) and the hostile user agent intact', () => {
      const c = (id: string, channel: { channel_uuid: string; channel_number: string }) => ({ client_id: id, ...channel });
      const a = c(scenario.clients.newsA, news());
      assert.equal(sampleValue(m, 'dispatcharr_client_bytes_sent', a), 1_800_000_000);
      assert.ok(close(sampleValue(m, 'dispatcharr_client_avg_transfer_rate_kbps', a), 976.6 * 8.192, 1e-9));
      assert.ok(close(sampleValue(m, 'dispatcharr_client_current_transfer_rate_kbps', a), 1234.5 * 8.192, 1e-9));
      assert.ok(close(sampleValue(m, 'dispatcharr_client_connection_duration_seconds', a), 1800, 30));
      const info = m.get('dispatcharr_client_info')?.samples ?? [];
      assert.equal(info.length, 4);
      assert.ok(info.some((s) => s.labels['user_agent'] === HOSTILE_USER_AGENT));
      assert.equal(sampleValue(m, 'dispatcharr_client_bytes_sent', c(scenario.clients.newsC, news())), undefined, 'no byte counters yet');
      const sportsClient = info.find((s) => s.labels['client_id'] === scenario.clients.sports);
      if (v29) {
        assert.equal(sportsClient?.labels['username'], 'alice');
        assert.equal(sportsClient?.labels['user_id'], data.userId);
        assert.equal(info.find((s) => s.labels['client_id'] === scenario.clients.newsA)?.labels['username'], undefined, 'anonymous');
      } else {
        assert.equal(sportsClient?.labels['username'], undefined);
      }
    });

    test('VOD sessions from the records the VOD proxy writes', () => {
      assert.equal(sampleValue(m, 'dispatcharr_vod_sessions'), 3);
      assert.equal(sampleValue(m, 'dispatcharr_vod_active_streams'), 2);
    });

    test('legacy stream_info has every value as a label and no repeated label', () => {
      const info = m.get('dispatcharr_stream_info')?.samples.find((s) => s.labels['channel_uuid'] === data.channels.news.uuid);
      assert.equal(info?.labels['stream_name'], 'B News');
      assert.equal(info?.labels['active_clients'], '3');
      assert.equal(info?.labels['fps'], '50');
    });

    test('no URL, header or credential from Redis or the database appears anywhere', () => {
      for (const secret of SECRETS) assert.ok(!text.includes(secret), secret);
    });

    test('promtool: exactly the documented findings', () => {
      const { findings, status } = promtoolCheckMetrics(text);
      assert.deepEqual([...findings].sort(), [...documentedPromtoolFindings()].sort());
      assert.equal(status, 3);
    });
  });
}

describe("the seed README's queries in a real Prometheus", () => {
  let db: TestDatabase;
  let data: SeededDataset;
  let redis: RedisWriter;
  let scenario: LiveScenario;
  let exporter: RunningExporter;
  let prometheus: RunningPrometheus;

  before(async () => {
    db = await createTestDatabase('v0.29', 'promql');
    data = await seedDataset(db);
    redis = await openRedisWriter(allocateRedisDb());
    scenario = await writeLiveScenario(redis, 'live:', data, true);
    exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(redis.db) }, ['--include-client-stats']);
    prometheus = await startPrometheus(join(process.env['TEST_TMP'] ?? '/tmp', `prometheus-live-${process.pid}`), [
      `127.0.0.1:${exporter.port}`,
    ]);
    await waitFor(
      'Prometheus to scrape the live families',
      async () => {
        if ((await prometheus.query('dispatcharr_stream_metadata')).length !== 3) throw new Error('not yet');
        if ((await prometheus.query('dispatcharr_client_info')).length !== 4) throw new Error('not yet');
      },
      30_000,
      500,
    );
  });
  after(async () => {
    await prometheus.stop();
    await exporter.stop();
    redis.close();
    await db.drop();
  });

  const uuids = (rows: { metric: Record<string, string> }[]) => rows.map((r) => r.metric['channel_uuid']).sort();

  test('fallback detection: dispatcharr_stream_index > 0', async () => {
    assert.deepEqual(uuids(await prometheus.query('dispatcharr_stream_index > 0')), [data.channels.news.uuid]);
  });

  test('FPS with provider information', async () => {
    const rows = await prometheus.query(
      'dispatcharr_stream_fps * on(channel_uuid, channel_number) group_left(stream_id, provider, stream_name) dispatcharr_stream_metadata',
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.metric['provider'], 'Provider B');
    assert.equal(rows[0]?.metric['stream_name'], 'B News');
    assert.equal(rows[0]?.value[1], '50');
  });

  test('total transfer with logo, resolution, codec and provider', async () => {
    const rows = await prometheus.query(
      'dispatcharr_stream_total_transfer_mb * on(channel_uuid, channel_number) group_left(logo_url, resolution, video_codec, provider) dispatcharr_stream_metadata',
    );
    assert.equal(rows.length, 3);
    const newsRow = rows.find((r) => r.metric['channel_uuid'] === data.channels.news.uuid);
    assert.equal(newsRow?.metric['resolution'], '1920x1080');
    assert.equal(Number(newsRow?.value[1]), scenario.newsTotalBytes / 1_048_576);
  });

  test('uptime plus stream index', async () => {
    const rows = await prometheus.query('dispatcharr_stream_uptime_seconds + on(channel_uuid, channel_number) dispatcharr_stream_index');
    assert.deepEqual(uuids(rows), [data.channels.news.uuid, data.channels.sports.uuid].sort());
  });

  test('client rates with IP address and user agent, and with the channel name', async () => {
    const rates = await prometheus.query(
      'dispatcharr_client_avg_transfer_rate_kbps * on(client_id, channel_uuid, channel_number) group_left(ip_address, user_agent) dispatcharr_client_info',
    );
    assert.equal(rates.length, 3, 'three clients have byte counters');
    assert.ok(rates.some((r) => r.metric['user_agent'] === HOSTILE_USER_AGENT));
    const named = await prometheus.query(
      'dispatcharr_client_avg_transfer_rate_kbps * on(client_id, channel_uuid, channel_number) group_left(ip_address) (dispatcharr_client_info * on(channel_uuid, channel_number) group_left(channel_name) dispatcharr_stream_metadata)',
    );
    // As written in the seed README, the outer group_left copies only ip_address.
    assert.deepEqual(named.map((r) => r.metric['ip_address']).sort(), ['192.0.2.10', '192.0.2.10', '203.0.113.5']);
    const inner = await prometheus.query(
      'dispatcharr_client_info * on(channel_uuid, channel_number) group_left(channel_name) dispatcharr_stream_metadata',
    );
    assert.deepEqual(inner.map((r) => r.metric['channel_name']).sort(), ['News One HD', 'News One HD', 'News One HD', 'Sports HD']);
  });

  test('every query of the Grafana dashboard runs, and the headline panels have data', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../monitoring/dashboard.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const concrete = (expr: string) =>
      expr.replaceAll('$job', 'dispatcharr').replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m');
    const answers = new Map<string, number>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const rows = await prometheus.query(concrete(target.expr));
        answers.set(panel.title, (answers.get(panel.title) ?? 0) + rows.length);
        if (panel.title === 'Live channels') assert.equal(rows[0]?.value[1], '3');
        if (panel.title === 'Channels on a backup stream') assert.equal(rows[0]?.value[1], '1');
      }
    }
    assert.equal(answers.get('Clients per channel'), 3, 'joined with stream_metadata for the channel name');
    assert.ok((answers.get('Provider connections in use') ?? 0) >= 2);
    assert.ok((answers.get('Days until provider subscriptions expire') ?? 0) >= 1);
    assert.equal(answers.get('Seconds since the provider last sent data'), 3, 'every live channel, with its name');
  });

  test('now playing joined with the channel name', async () => {
    const rows = await prometheus.query(
      'dispatcharr_stream_programming * on(channel_uuid, channel_number) group_left(channel_name) dispatcharr_stream_metadata',
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.metric['channel_name'], 'News One HD');
    assert.equal(rows[0]?.metric['current_title'], NEWS_PROGRAMMES.current.title);
    assert.equal(rows[0]?.metric['current_description'], NEWS_PROGRAMMES.current.description, 'escaped text comes back intact');
    assert.equal(rows[0]?.metric['next_title'], NEWS_PROGRAMMES.next.title);
    const value = Number(rows[0]?.value[1]);
    assert.ok(value >= 0.5 && value < 0.6, `elapsed fraction ${value}`);
  });

  test('numeric channel queries and per-channel sums', async () => {
    assert.deepEqual(
      (await prometheus.query('sort(dispatcharr_stream_channel_number)')).map((r) => r.value[1]),
      ['101', '1015.5', '2000'],
    );
    assert.deepEqual(uuids(await prometheus.query('dispatcharr_stream_channel_number > 1500')), [data.channels.movies.uuid]);
    const sums = await prometheus.query('sum by (channel_uuid) (dispatcharr_client_bytes_sent)');
    assert.equal(Number(sums.find((r) => r.metric['channel_uuid'] === data.channels.news.uuid)?.value[1]), 1_858_000_000);
  });
});
