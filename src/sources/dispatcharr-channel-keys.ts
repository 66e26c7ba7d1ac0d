/** The database side of the direct route to live keys: every channel's id and UUID, in one statement and one row. */
import type { SchemaLevel } from '../snapshot.js';
import type { ChannelKey, KeyPrefix } from './live-discovery.js';
import type { Queryable } from './postgres.js';

/** The live proxy's key prefix: `ts_proxy:` up to Dispatcharr v0.24, `live:` from v0.25 (the release of channel overrides). */
export function liveKeyPrefix(level: SchemaLevel): KeyPrefix {
  return level.channelOverrides ? 'live:' : 'ts_proxy:';
}

/**
 * One text value of `id uuid` pairs rather than a row per channel: for 20,000 channels it is one string to split
 * instead of 20,000 row objects to build.
 */
export async function readChannelKeys(db: Queryable): Promise<ChannelKey[]> {
  const rows = await db.query<{ pairs: string | null }>(
    `SELECT string_agg(id::text || ' ' || uuid::text, ',' ORDER BY id) AS pairs FROM dispatcharr_channels_channel`,
  );
  const pairs = rows[0]?.pairs;
  if (!pairs) return [];
  return pairs.split(',').map((pair) => {
    const space = pair.indexOf(' ');
    return { id: pair.slice(0, space), uuid: pair.slice(space + 1) };
  });
}
