/** Golden exposition files: reviewed by hand, compared byte for byte after dropping what varies per run. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Families whose values depend on the clock, the machine or the run, checked by other assertions. */
export const VOLATILE =
  /^(process_|dispatcharr_exporter_collector_duration_seconds|dispatcharr_exporter_redis_round_trips|dispatcharr_profile_days_to_expiry|dispatcharr_profile_expiry_timestamp_seconds|dispatcharr_stream_last_data_timestamp_seconds|dispatcharr_stream_last_switch_timestamp_seconds|dispatcharr_m3u_account_last_refresh_timestamp_seconds)/;

export function stableExposition(text: string, port: number): string {
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const name = line.startsWith('# ') ? (line.split(' ')[2] ?? '') : line;
    if (VOLATILE.test(name)) continue;
    kept.push(line.replace(`port="${port}"`, 'port="PORT"').replace(/^dispatcharr_exporter_port \d+$/, 'dispatcharr_exporter_port PORT'));
  }
  return kept.join('\n');
}

export function assertGolden(name: string, actual: string): void {
  const path = fileURLToPath(new URL(`../fixtures/golden/${name}`, import.meta.url));
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) {
    writeFileSync(path, actual);
    if (process.env['UPDATE_GOLDEN'] !== '1') assert.fail(`golden file ${name} did not exist; written for review`);
    return;
  }
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `output differs from golden file ${name} (UPDATE_GOLDEN=1 rewrites it; review the diff)`,
  );
}
