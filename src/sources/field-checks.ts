/**
 * What each Redis field the exporter reads should hold, and the check that tells a malformed value (recorded as
 * a skip) from an absent one. The collectors drop the same values with the same rules (live-view.ts parseNumber
 * and secondsSince, the id patterns); these checks only name the reason.
 */
import { parseNumber } from '../collectors/live-view.js';
import type { SKIP_REASONS, SkipRecorder } from '../skips.js';
import type { ClientField, Fields, MetadataField, VodField } from '../snapshot.js';

export type RedisSkipReason = (typeof SKIP_REASONS)['redis'][number];

/**
 * `text`: any text. `amount`: a number that cannot be negative (sizes, rates, counts, fps, bitrates). `speed`: an
 * amount with an optional trailing `x`. `timestamp`: epoch seconds. `id`: a database id (Python's `None` means none).
 * `user_id`: an id, where `0`, `None` and `unknown` mean an anonymous viewer. `uuid`: a UUID.
 */
export type FieldKind = 'text' | 'amount' | 'speed' | 'timestamp' | 'id' | 'user_id' | 'uuid';

export const METADATA_KINDS: Readonly<Record<MetadataField, FieldKind>> = {
  state: 'text',
  init_time: 'timestamp',
  stream_id: 'id',
  m3u_profile: 'id',
  stream_profile: 'id',
  total_bytes: 'amount',
  source_fps: 'amount',
  video_bitrate: 'amount',
  ffmpeg_output_bitrate: 'amount',
  ffmpeg_speed: 'speed',
  video_codec: 'text',
  resolution: 'text',
  stream_switch_time: 'timestamp',
  stream_switch_reason: 'text',
};

export const CLIENT_KINDS: Readonly<Record<ClientField, FieldKind>> = {
  ip_address: 'text',
  user_agent: 'text',
  worker_id: 'text',
  connected_at: 'timestamp',
  bytes_sent: 'amount',
  avg_rate_KBps: 'amount',
  current_rate_KBps: 'amount',
  user_id: 'user_id',
};

export const VOD_KINDS: Readonly<Record<VodField, FieldKind>> = {
  m3u_profile_id: 'id',
  active_streams: 'amount',
  created_at: 'timestamp',
  user_id: 'user_id',
  content_obj_type: 'text',
  content_uuid: 'uuid',
  content_name: 'text',
  client_ip: 'text',
  client_user_agent: 'text',
  worker_id: 'text',
  bytes_sent: 'amount',
};

/**
 * A timestamp at most this far ahead of the scrape's start is expected, not malformed: it was written while the
 * collection ran, or Dispatcharr's clock is a little ahead. It still gives no sample in this scrape.
 */
export const FUTURE_TOLERANCE_SECONDS = 60;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID = /^\d{1,18}$/;

/** Why a present value of `kind` cannot be used, or undefined when it can (or is empty: Dispatcharr's "none"). */
export function fieldProblem(kind: FieldKind, text: string | undefined, now: number): RedisSkipReason | undefined {
  const value = text?.trim() ?? '';
  if (kind === 'text' || value === '') return undefined;
  switch (kind) {
    case 'amount':
    case 'speed': {
      const number = parseNumber(kind === 'speed' ? value.replace(/x$/, '') : value);
      if (number === undefined) return 'not_a_number';
      return number < 0 ? 'negative_number' : undefined;
    }
    case 'timestamp': {
      const number = parseNumber(value);
      if (number === undefined) return 'not_a_number';
      if (number <= 0) return 'bad_timestamp';
      return number > now + FUTURE_TOLERANCE_SECONDS ? 'future_timestamp' : undefined;
    }
    case 'id':
      return value === 'None' || ID.test(value) ? undefined : 'not_an_id';
    case 'user_id':
      return value === 'None' || value === 'unknown' || ID.test(value) ? undefined : 'not_an_id';
    case 'uuid':
      return UUID.test(value) ? undefined : 'not_a_uuid';
  }
}

/** Records every malformed field of one hash read from `key`. */
export function checkFields<F extends string>(
  kinds: Readonly<Record<F, FieldKind>>,
  fields: Fields<F>,
  key: string,
  now: number,
  skips: SkipRecorder,
): void {
  for (const field of Object.keys(fields) as F[]) {
    const reason = fieldProblem(kinds[field], fields[field], now);
    if (reason) skips.add({ source: 'redis', reason, key, field });
  }
}
