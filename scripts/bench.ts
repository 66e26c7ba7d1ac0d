/**
 * Benchmark: scrape latency and memory of the built exporter against a large installation
 * (10,000 channels, 200 providers, 600 profiles, 50 EPG sources). Starts its own PostgreSQL unless
 * TEST_POSTGRES_URL is set. Prints figures; asserts nothing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { seedDataset } from '../test/fixtures/dataset.js';
import { createTestDatabase } from '../test/support/database.js';
import { postgresEnv, startExporter } from '../test/support/exporter.js';
import { startPostgres, type RunningServer } from '../test/support/servers.js';

const SCRAPES = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? NaN);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-bench-'));
  chmodSync(dir, 0o755);
  let server: RunningServer | undefined;
  process.env['EXPORTER_BUNDLE'] ??= resolve('dist/dispatcharr-exporter.cjs');
  try {
    if (!process.env['TEST_POSTGRES_URL']) {
      server = await startPostgres(join(dir, 'postgres'));
      process.env['TEST_POSTGRES_URL'] = server.url;
    }
    const db = await createTestDatabase('v0.29', 'bench');
    await seedDataset(db);
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

    const exporter = await startExporter(postgresEnv(db.url), ['--include-epg-stats']);
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
      `exposition: ${first.length} bytes, ${first.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`,
      `sequential scrapes: ${SCRAPES}, p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, max ${percentile(times, 100).toFixed(1)} ms`,
      `50 concurrent scrapes: ${concurrentMs.toFixed(1)} ms in all`,
      `exporter RSS: ${(rssBefore / 1024).toFixed(1)} MiB at start, ${(rssAfter / 1024).toFixed(1)} MiB after ${SCRAPES + 1} scrapes`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
