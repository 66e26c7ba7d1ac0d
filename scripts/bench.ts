/**
 * Benchmark: scrape latency and memory of the built exporter against a large installation
 * (10,000 channels, 200 providers, 600 profiles, 50 EPG sources, 50 live channels with 10 clients each
 * and 230 buffer chunks each in Redis). Starts its own PostgreSQL and Redis unless TEST_POSTGRES_URL /
 * TEST_REDIS_URL are set. Prints figures; asserts nothing.
 */
const LIVE_CHANNELS = 50;
const CLIENTS_PER_CHANNEL = 10;
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { seedDataset } from '../test/fixtures/dataset.js';
import { createTestDatabase } from '../test/support/database.js';
import { postgresEnv, startExporter } from '../test/support/exporter.js';
import { connectClient, startChannel } from '../test/fixtures/redis-writer.js';
import { openRedisWriter, redisEnv } from '../test/support/redis.js';
import { startPostgres, startRedis, type RunningServer } from '../test/support/servers.js';
import { errorMessage } from '../src/error-message.js';

const SCRAPES = Number(process.env['BENCH_SCRAPES'] ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? NaN);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-bench-'));
  chmodSync(dir, 0o755);
  const servers: RunningServer[] = [];
  process.env['EXPORTER_BUNDLE'] ??= resolve('dist/dispatcharr-exporter.cjs');
  try {
    if (!process.env['TEST_POSTGRES_URL']) {
      const server = await startPostgres(join(dir, 'postgres'));
      servers.push(server);
      process.env['TEST_POSTGRES_URL'] = server.url;
    }
    if (!process.env['TEST_REDIS_URL']) {
      const server = await startRedis(join(dir, 'redis'));
      servers.push(server);
      process.env['TEST_REDIS_URL'] = server.url;
    }
    const db = await createTestDatabase('v0.29', 'bench');
    const data = await seedDataset(db);
    await db.client.query(`
      INSERT INTO m3u_m3uaccount (name, server_url, max_streams, is_active, created_at, locked, refresh_interval, stale_stream_days, account_type, status, priority)
      SELECT 'Provider ' || g, 'http://p' || g || '.example', 2, true, now(), false, 24, 7, 'XC', 'success', 0 FROM generate_series(1, 200) g`);
    await db.client.query(`
      INSERT INTO m3u_m3uaccountprofile (name, is_default, max_streams, is_active, search_pattern, replace_pattern, current_viewers, m3u_account_id, custom_properties)
      SELECT 'Profile ' || a.id || '-' || g, g = 1, 2, true, '', '', 0, a.id, jsonb_build_object('user_info', jsonb_build_object('exp_date', (extract(epoch FROM now()) + g * 86400)::bigint::text))
        FROM m3u_m3uaccount a, generate_series(1, 3) g WHERE a.name LIKE 'Provider %' AND a.name <> 'Provider A' AND a.name <> 'Provider B'`);
    await db.client.query(`
      INSERT INTO dispatcharr_channels_stream (name, url, current_viewers, updated_at, m3u_account_id, is_custom, last_seen, is_stale, is_adult, is_catchup, catchup_days)
      SELECT 'Stream ' || g, 'http://u/' || g, 0, now(), (SELECT min(id) FROM m3u_m3uaccount WHERE name LIKE 'Provider %') + g % 200, false, now(), false, false, false, 0
        FROM generate_series(1, 30000) g`);
    await db.client.query(`
      INSERT INTO dispatcharr_channels_channel (name, channel_number, uuid, user_level, auto_created, created_at, updated_at, is_adult, hidden_from_output, is_catchup, catchup_days)
      SELECT 'Channel ' || g, g, gen_random_uuid(), 0, false, now(), now(), false, false, false, 0 FROM generate_series(1, 10000) g`);
    await db.client.query(`
      INSERT INTO epg_epgsource (name, source_type, url, is_active, refresh_interval, created_at, status, priority)
      SELECT 'EPG ' || g, 'xmltv', 'http://e/' || g, true, 24, now(), 'success', g FROM generate_series(1, 50) g`);
    await db.client.query('ANALYZE');

    const redis = await openRedisWriter(1);
    const live = await db.client.query<{ id: string; uuid: string }>(
      `SELECT id::text, uuid::text FROM dispatcharr_channels_channel WHERE name LIKE 'Channel %' ORDER BY id LIMIT ${LIVE_CHANNELS}`,
    );
    const now = Date.now() / 1000;
    for (const [i, channel] of live.rows.entries()) {
      await startChannel(redis, {
        prefix: 'live:',
        channelId: channel.id,
        uuid: channel.uuid,
        streamId: data.streams.a1,
        m3uProfileId: data.profiles.aDefault,
        profileCapped: true,
        streamProfileId: data.streamProfiles.ffmpeg,
        initTime: now - 600 - i,
        totalBytes: 600_000_000,
        bufferChunks: 230,
        ffmpeg: { codec: 'h264', resolution: '1920x1080', fps: '25.0', videoBitrate: '8000.0', speed: '1.0' },
      });
      for (let c = 0; c < CLIENTS_PER_CHANNEL; c++) {
        await connectClient(redis, {
          prefix: 'live:',
          uuid: channel.uuid,
          clientId: `client_${i}_${c}`,
          ip: `192.0.2.${c}`,
          userAgent: 'VLC/3.0.20',
          connectedAt: now - 300,
          stats: { bytesSent: 300_000_000, avgKiBps: '976.6', currentKiBps: '1000.0' },
        });
      }
    }
    const keys = Number((await redis.run(['DBSIZE']))[0]);
    redis.close();

    const exporter = await startExporter({ ...postgresEnv(db.url), ...redisEnv(1) }, [
      '--include-epg-stats',
      '--include-client-stats',
      '--include-vod-stats',
    ]);
    const pid = exporter.child.pid ?? 0;
    const rssBefore = rssKiB(pid);
    const first = await exporter.metrics();
    const times: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const started = performance.now();
      await exporter.metrics();
      times.push(performance.now() - started);
    }
    const rssAfter = rssKiB(pid);
    const concurrentStart = performance.now();
    await Promise.all(Array.from({ length: 50 }, () => exporter.metrics()));
    const concurrentMs = performance.now() - concurrentStart;
    await exporter.stop();
    await db.drop();
    times.sort((a, b) => a - b);
    const lines = [
      `dataset: 10,004 channels, 205 providers, 607 profiles, 53 EPG sources, 30,007 streams (Dispatcharr v0.29 schema)`,
      `live: ${LIVE_CHANNELS} channels, ${LIVE_CHANNELS * CLIENTS_PER_CHANNEL} clients, ${keys} Redis keys; round trips of the first scrape: ${/^dispatcharr_exporter_redis_round_trips (\d+)$/m.exec(first)?.[1]}`,
      `exposition: ${first.length} bytes, ${first.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`,
      `sequential scrapes: ${SCRAPES}, p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, max ${percentile(times, 100).toFixed(1)} ms`,
      `50 concurrent scrapes: ${concurrentMs.toFixed(1)} ms in all`,
      `exporter RSS: ${(rssBefore / 1024).toFixed(1)} MiB at start, ${(rssAfter / 1024).toFixed(1)} MiB after ${SCRAPES + 1} scrapes`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
