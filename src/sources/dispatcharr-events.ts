/**
 * Reads Dispatcharr's system events newer than an id in one statement: the id range the table holds (two
 * primary-key lookups) and the new rows counted by type and channel (a primary-key range scan), with each channel's
 * current name. `details` (user names, IP addresses) is never read.
 */
import type { SchemaLevel } from '../snapshot.js';
import type { Queryable } from './postgres.js';

export interface EventGroup {
  readonly type: string;
  /** The channel's UUID when the event names one that still exists. */
  readonly channel: string | null;
  readonly channelName: string | null;
  readonly count: number;
}

export interface EventRead {
  /** Lowest and highest id in the table now; null when it is empty. */
  readonly oldest: number | null;
  readonly newest: number | null;
  /** Rows with `after` < id <= newest, by type and channel; empty when `after` is null. */
  readonly groups: readonly EventGroup[];
}

function idOrNull(text: string | null): number | null {
  return text === null ? null : Number(text);
}

export async function readEventsAfter(db: Queryable, level: SchemaLevel, after: number | null): Promise<EventRead> {
  const name = level.channelOverrides ? 'COALESCE(o.name, c.name)' : 'c.name';
  const overrides = level.channelOverrides ? 'LEFT JOIN dispatcharr_channels_channeloverride o ON o.channel_id = c.id' : '';
  const rows = await db.query<{ oldest: string | null; newest: string | null; groups: [string, string | null, string | null, number][] }>(
    `WITH bounds AS (SELECT min(id) AS oldest, max(id) AS newest FROM core_systemevent),
     fresh AS (
       SELECT e.event_type, e.channel_id, count(*)::int AS n
         FROM core_systemevent e
        WHERE $1::bigint IS NOT NULL AND e.id > $1::bigint AND e.id <= (SELECT newest FROM bounds)
        GROUP BY e.event_type, e.channel_id)
     SELECT b.oldest::text AS oldest, b.newest::text AS newest,
            COALESCE((SELECT json_agg(json_build_array(f.event_type, c.uuid::text, ${name}, f.n) ORDER BY f.event_type, c.uuid)
                        FROM fresh f
                        LEFT JOIN dispatcharr_channels_channel c ON c.uuid = f.channel_id
                        ${overrides}), '[]'::json) AS groups
       FROM bounds b`,
    [after],
  );
  const row = rows[0];
  if (!row) throw new Error('event query returned no row');
  return {
    oldest: idOrNull(row.oldest),
    newest: idOrNull(row.newest),
    groups: row.groups.map(([type, channel, channelName, count]) => ({ type, channel, channelName, count })),
  };
}
