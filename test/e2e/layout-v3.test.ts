/**
 * The v3 metrics layout (--metrics-layout v3) on the live fixture, for both key prefixes: a reviewed golden
 * file, the families v3 leaves alone byte-identical to v2, promtool, and every PromQL expression of the
 * original plugin's v3.0.1 documentation and sample dashboards evaluated by a real Prometheus.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HOSTILE_USERNAME, NEWS_PROGRAMMES, seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { VOD_EPISODE, VOD_MOVIE } from '../fixtures/vod-dataset.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv, type RunningExporter, startExporter } from '../support/exporter.js';
import { type ParsedFamily, parseExposition, sampleValue } from '../support/exposition.js';
import { assertGolden, VOLATILE } from '../support/golden.js';
import { waitFor } from '../support/ports.js';
import { promtoolCheckMetrics, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { allocateRedisDb, openRedisWriter, type RedisWriter, redisEnv } from '../support/redis.js';
import { ALL_GATES } from '../support/settings.js';

/** Families the v3 layout renames or re-labels; every other family must be the same in both layouts. */
const V3_FAMILIES = /^dispatcharr_(active_streams|active_clients|stream_|client_)/;
/** Values that move with the clock between two scrapes. */
const CLOCK =
  /^dispatcharr_(stream_uptime_seconds|stream_avg_bitrate_bps|client_connection_duration_seconds|client_avg_transfer_rate_bps|client_current_transfer_rate_bps|stream_programming)\{/;

interface UpstreamExpression {
  readonly source: string;
  readonly expr: string;
}

/** Expressions the live fixture has no data for, with the reason; every other expression must return data. */
const NO_DATA_IN_FIXTURE: Readonly<Record<string, string>> = {
  'dispatcharr_stream_fps{channel_uuid="..."}': 'a placeholder uuid',
  'dispatcharr_client_connection_duration_seconds > 3600': 'no client has been connected for an hour',
  'dispatcharr_profile_connection_usage > 0.9': 'no profile is over 90 %',
  'dispatcharr_user_active_streams >= dispatcharr_user_stream_limit\n  and dispatcharr_user_stream_limit > 0': 'no user is at a limit',
};
/** Before Dispatcharr 0.22 clients carry no user, so no user is watching anything. */
const NO_DATA_BEFORE_USER_IDS = ['dispatcharr_user_active_streams / dispatcharr_user_stream_limit > 0'];

function upstreamExpressions(): UpstreamExpression[] {
  const path = new URL('../fixtures/upstream-v3-promql.json', import.meta.url);
  return (JSON.parse(readFileSync(path, 'utf8')) as { expressions: UpstreamExpression[] }).expressions;
}

/** Stable text for the golden file: random uuids numbered by first appearance, clock-driven values and times masked. */
function normalise(text: string, port: number): string {
  const ids = new Map<string, string>();
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  return text
    .split('\n')
    .filter((line) => !VOLATILE.test(line.startsWith('# ') ? (line.split(' ')[2] ?? '') : line))
    .map((line) => {
      let out = line.replace(uuid, (u) => {
        if (!ids.has(u)) ids.set(u, `UUID-${ids.size + 1}`);
        return ids.get(u) ?? u;
      });
      out = out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00/g, 'TIME');
      out = out.replace(`port="${port}"`, 'port="PORT"').replace(/^dispatcharr_exporter_port \d+$/, 'dispatcharr_exporter_port PORT');
      return CLOCK.test(out) ? out.replace(/ [^ ]+$/, ' VALUE') : out;
    })
    .join('\n');
}

function stableFamilies(m: Map<string, ParsedFamily>, keep: (name: string) => boolean): string {
  return [...m.entries()]
    .filter(([name]) => keep(name) && !VOLATILE.test(name))
    .map(([name, family]) => `${name} ${JSON.stringify(family.samples)}`)
    .join('\n');
}

for (const [version, prefix] of [
  ['v0.15', 'ts_proxy:'],
  ['v0.29', 'live:'],
] as const) {
  describe(`v3 layout, Dispatcharr ${version} (${prefix} keys)`, () => {
    let db: TestDatabase;
    let data: SeededDataset;
    let redis: RedisWriter;
    let v3: RunningExporter;
    let v2: RunningExporter;
    let text: string;
    let m: Map<string, ParsedFamily>;
    let prometheus: RunningPrometheus;

    before(async () => {
      db = await createTestDatabase(version, 'v3');
      data = await seedDataset(db);
      redis = await openRedisWriter(allocateRedisDb());
      await writeLiveScenario(redis, prefix, data, version === 'v0.29');
      const env = { ...postgresEnv(db.url), ...redisEnv(redis.db) };
      const flags = [...ALL_GATES, '--base-url', 'http://dispatcharr.lan:9191'];
      v3 = await startExporter(env, [...flags, '--metrics-layout', 'v3']);
      v2 = await startExporter(env, flags);
      text = await v3.metrics();
      m = parseExposition(text);
      prometheus = await startPrometheus(join(process.env['TEST_TMP'] ?? '/tmp', `prometheus-v3-${version}-${process.pid}`), [
        `127.0.0.1:${v3.port}`,
      ]);
      await waitFor(
        'Prometheus to scrape the v3 exporter',
        async () => {
          if ((await prometheus.query('dispatcharr_stream_metadata')).length === 0) throw new Error('not yet');
        },
        30_000,
      );
    });
    after(async () => {
      await prometheus?.stop();
      await v3?.stop();
      await v2?.stop();
      redis?.close();
      await db?.drop();
    });

    test('the output matches the reviewed golden file', () => {
      assertGolden(`v3-live-${version}.prom`, normalise(text, v3.port));
    });

    test('live channels and VOD sessions share the stream families, told apart by type', () => {
      const total = m.get('dispatcharr_active_streams')?.samples.find((s) => Object.keys(s.labels).length === 0);
      assert.equal(Number(total?.value), 5);
      assert.equal(sampleValue(m, 'dispatcharr_active_streams', { type: 'live' }), 3);
      assert.equal(sampleValue(m, 'dispatcharr_active_streams', { type: 'vod' }), 2, 'the idle session is not a stream');
      const vod = m.get('dispatcharr_stream_metadata')?.samples.filter((s) => s.labels['type'] === 'vod') ?? [];
      assert.equal(vod[0]?.labels['channel_uuid'], 'vod_1764000000500_6666');
      assert.equal(vod[0]?.labels['channel_number'], '1764000000500');
      assert.equal(vod[0]?.labels['content_type'], 'movie');
      assert.equal(vod[0]?.labels['provider'], 'Provider A');
      assert.equal(vod[1]?.labels['channel_uuid'], 'vod_1764000000700_8888');
      assert.equal(vod[1]?.labels['content_type'], 'episode');
      assert.equal(vod[1]?.labels['provider'], 'Provider B');
      assert.equal(m.has('dispatcharr_stream_viewers'), false, 'v3 has no viewers family');
      assert.equal(m.has('dispatcharr_stream_video_bitrate_kbps'), false);
      for (const family of ['dispatcharr_stream_uptime_seconds', 'dispatcharr_client_info', 'dispatcharr_stream_programming']) {
        for (const s of m.get(family)?.samples ?? []) assert.equal(Object.keys(s.labels)[0], 'type', family);
      }
    });

    test("VOD sessions completed from the catalogue, with the category of the session's own provider", () => {
      const meta = (id: string) => m.get('dispatcharr_stream_metadata')?.samples.find((s) => s.labels['channel_uuid'] === id)?.labels;
      const logo = (id: string) => `http://dispatcharr.lan:9191/api/vod/vodlogos/${id}/cache/`;
      const a = VOD_MOVIE.providerA;
      assert.deepEqual(meta('vod_1764000000500_6666'), {
        type: 'vod',
        channel_uuid: 'vod_1764000000500_6666',
        channel_number: '1764000000500',
        content_uuid: data.vod.movie.uuid,
        channel_name: VOD_MOVIE.name,
        channel_group: a.category,
        content_type: 'movie',
        provider: 'Provider A',
        provider_type: 'XC',
        state: 'active',
        logo_url: logo(data.vod.movie.logoId),
        profile_id: data.profiles.aBackup,
        profile_name: 'Backup login',
        stream_profile: '',
        video_codec: a.codec,
        resolution: `${a.width}x${a.height}`,
      });
      assert.deepEqual(meta('vod_1764000000700_8888'), {
        type: 'vod',
        channel_uuid: 'vod_1764000000700_8888',
        channel_number: '1764000000700',
        content_uuid: data.vod.episode.uuid,
        channel_name: VOD_EPISODE.series,
        channel_group: VOD_EPISODE.providerB.category,
        content_type: 'episode',
        provider: 'Provider B',
        provider_type: 'STD',
        state: 'active',
        logo_url: logo(data.vod.episode.seriesLogoId),
        profile_id: data.profiles.bDefault,
        profile_name: 'Provider B Default',
        stream_profile: '',
        video_codec: '',
        resolution: '',
        season_number: String(VOD_EPISODE.season),
        episode_number: String(VOD_EPISODE.episode),
        series_name: VOD_EPISODE.series,
      });
      const programme = (id: string) => m.get('dispatcharr_stream_programming')?.samples.find((s) => s.labels['channel_uuid'] === id);
      const movie = programme('vod_1764000000500_6666');
      assert.equal(movie?.labels['current_title'], 'Harbour Lights');
      assert.equal(movie?.labels['current_subtitle'], `${VOD_MOVIE.year} - ${VOD_MOVIE.genre}`);
      assert.equal(movie?.labels['current_description'], VOD_MOVIE.description);
      const fraction = Number(movie?.value);
      assert.ok(fraction >= 300 / VOD_MOVIE.durationSecs && fraction < 360 / VOD_MOVIE.durationSecs, `elapsed fraction ${fraction}`);
      const episode = programme('vod_1764000000700_8888');
      assert.equal(episode?.labels['current_title'], VOD_EPISODE.series);
      assert.equal(episode?.labels['current_subtitle'], 'S02E05 - The Depot');
      const [start, end] = [episode?.labels['current_start_time'] ?? '', episode?.labels['current_end_time'] ?? ''];
      assert.equal((Date.parse(end) - Date.parse(start)) / 1000, VOD_EPISODE.durationSecs);
    });

    test('bitrates are the v2 values in bits per second; client rates use 8,192 bit/s per KiB/s', async () => {
      const v2m = parseExposition(await v2.metrics());
      const news = { channel_uuid: data.channels.news.uuid };
      const kbps = sampleValue(v2m, 'dispatcharr_stream_video_bitrate_kbps', news);
      assert.ok(kbps !== undefined);
      assert.equal(sampleValue(m, 'dispatcharr_stream_video_bitrate_bps', news), kbps * 1000);
      for (const s of m.get('dispatcharr_client_current_transfer_rate_bps')?.samples ?? []) {
        if (s.labels['type'] !== 'live') continue;
        const v2rate = sampleValue(v2m, 'dispatcharr_client_current_transfer_rate_kbps', { client_id: s.labels['client_id'] ?? '' });
        assert.ok(v2rate !== undefined && Math.abs(Number(s.value) - v2rate * 1000) < 1e-6, s.labels['client_id']);
      }
      const info = m.get('dispatcharr_client_info')?.samples ?? [];
      assert.ok(info.every((s) => s.labels['user_id'] !== undefined && s.labels['username'] !== undefined));
      assert.ok(info.some((s) => s.labels['user_id'] === '0' && s.labels['username'] === 'anonymous'));
    });

    test('families the v3 layout does not rename are the same in both layouts', async () => {
      const v2m = parseExposition(await v2.metrics());
      const untouched = (name: string) =>
        !V3_FAMILIES.test(name) && name !== 'dispatcharr_exporter_settings_info' && name !== 'dispatcharr_exporter_port';
      assert.equal(stableFamilies(m, untouched), stableFamilies(v2m, untouched));
      assert.equal(m.get('dispatcharr_exporter_settings_info')?.samples[0]?.labels['metrics_layout'], 'v3');
    });

    test('promtool finds nothing beyond the names v3 itself chose', () => {
      const { findings } = promtoolCheckMetrics(text);
      const allowed = /(_total" suffix|should not have "_count" suffix|base unit "seconds" instead of "days"|abbreviated units)/;
      assert.deepEqual(
        findings.filter((f) => !allowed.test(f)),
        [],
      );
    });

    test('hostile usernames and programme texts come out of a real Prometheus byte for byte', async () => {
      const users = await prometheus.query('dispatcharr_user_info');
      assert.ok(
        users.some((row) => row.metric['username'] === HOSTILE_USERNAME),
        JSON.stringify(users.map((r) => r.metric['username'])),
      );
      const programmes = await prometheus.query('dispatcharr_stream_programming{type="live"}');
      assert.equal(programmes[0]?.metric['current_description'], NEWS_PROGRAMMES.current.description);
    });

    test("every PromQL expression of the original's v3.0.1 docs and dashboards evaluates, with data where the fixture has it", async () => {
      const empty: string[] = [];
      for (const { source, expr } of upstreamExpressions()) {
        const rows = await prometheus.query(expr).catch((error: unknown) => assert.fail(`${source}: ${expr}: ${String(error)}`));
        const expectedEmpty = expr in NO_DATA_IN_FIXTURE || (version === 'v0.15' && NO_DATA_BEFORE_USER_IDS.includes(expr));
        if (rows.length === 0 && !expectedEmpty) empty.push(`${source}: ${expr}`);
      }
      assert.deepEqual(empty, [], 'expressions without data');
    });
  });
}
