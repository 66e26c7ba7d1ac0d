/**
 * "Now playing" on the live channels: one statement, whatever the number of live channels, finds for each
 * live channel's effective EPG entry the programme on air at the scrape time and the ones just before and
 * after it. No statement at all when nothing is live.
 */
import { PROGRAMME_TEXT_LIMITS, type ChannelProgrammes, type LiveChannelSet, type Programme, type SchemaLevel } from '../snapshot.js';
import type { Queryable } from './postgres.js';

type Slot = 'previous' | 'current' | 'next';

interface ProgrammeRow {
  uuid: string;
  slot: Slot;
  start_time: number;
  end_time: number;
  title: string;
  subtitle: string | null;
  description: string | null;
}

/**
 * The statement. `$1` live channel uuids, `$2` the scrape time (epoch seconds), `$3`/`$4` how many characters
 * of titles/subtitles and of descriptions to read (one more than the label keeps, so the collector knows
 * what it cut). `epgId` is the effective EPG entry expression, `overrideJoin` the join it needs.
 *
 * Programmes are found through the `(epg_id)` index: only rows of the live channels' EPG entries that overlap
 * one day either side of the scrape time are considered (there is no index on the times; a programme
 * further away is never previous, current or next in practice). Current is Dispatcharr's rule
 * (`start_time <= now < end_time`; the latest start wins when several overlap), previous the latest to end
 * at or before the current one's start, next the earliest to start at or after its end. Texts are read only
 * for the picked rows, by primary key.
 */
function statement(epgId: string, overrideJoin: string): string {
  return `WITH chan AS (
       SELECT c.uuid, ${epgId} AS epg_id
         FROM dispatcharr_channels_channel c
         ${overrideJoin}
        WHERE c.uuid = ANY($1::uuid[])
     ), scrape AS (
       SELECT to_timestamp($2::float8) AS now
     ), candidates AS MATERIALIZED (
       SELECT p.id, p.epg_id, p.start_time, p.end_time
         FROM epg_programdata p, scrape
        WHERE p.epg_id = ANY (ARRAY(SELECT DISTINCT epg_id FROM chan WHERE epg_id IS NOT NULL))
          AND p.end_time > scrape.now - interval '1 day'
          AND p.start_time < scrape.now + interval '1 day'
     ), cur AS (
       SELECT DISTINCT ON (p.epg_id) p.*
         FROM candidates p, scrape
        WHERE p.start_time <= scrape.now AND p.end_time > scrape.now
        ORDER BY p.epg_id, p.start_time DESC, p.id
     ), prev AS (
       SELECT DISTINCT ON (c.epg_id) c.epg_id, p.id
         FROM cur c JOIN candidates p ON p.epg_id = c.epg_id AND p.end_time <= c.start_time
        ORDER BY c.epg_id, p.end_time DESC, p.start_time DESC, p.id
     ), nxt AS (
       SELECT DISTINCT ON (c.epg_id) c.epg_id, p.id
         FROM cur c JOIN candidates p ON p.epg_id = c.epg_id AND p.start_time >= c.end_time
        ORDER BY c.epg_id, p.start_time, p.end_time, p.id
     ), picked AS (
       SELECT 'current' AS slot, epg_id, id FROM cur
       UNION ALL SELECT 'previous', epg_id, id FROM prev
       UNION ALL SELECT 'next', epg_id, id FROM nxt
     )
     SELECT ch.uuid::text AS uuid, k.slot,
            extract(epoch FROM p.start_time)::float8 AS start_time, extract(epoch FROM p.end_time)::float8 AS end_time,
            left(p.title, $3) AS title, left(p.sub_title, $3) AS subtitle, left(p.description, $4) AS description
       FROM chan ch
       JOIN picked k ON k.epg_id = ch.epg_id
       JOIN epg_programdata p ON p.id = k.id
      ORDER BY ch.uuid, k.slot`;
}

function programme(row: ProgrammeRow): Programme {
  return { title: row.title, subtitle: row.subtitle, description: row.description, start: row.start_time, end: row.end_time };
}

/**
 * The programmes around `now` (epoch seconds) for every live channel whose effective EPG entry (the channel
 * override's first, Dispatcharr v0.25+) has a programme on air. Channels without EPG data or without a
 * current programme are left out.
 */
export async function readProgrammes(db: Queryable, level: SchemaLevel, live: LiveChannelSet, now: number): Promise<ChannelProgrammes[]> {
  if (live.channels.length === 0) return [];
  const sql = level.channelOverrides
    ? statement('COALESCE(o.epg_data_id, c.epg_data_id)', 'LEFT JOIN dispatcharr_channels_channeloverride o ON o.channel_id = c.id')
    : statement('c.epg_data_id', '');
  const rows = await db.query<ProgrammeRow>(sql, [
    live.channels.map((c) => c.uuid),
    now,
    Math.max(PROGRAMME_TEXT_LIMITS.title, PROGRAMME_TEXT_LIMITS.subtitle) + 1,
    PROGRAMME_TEXT_LIMITS.description + 1,
  ]);
  const byUuid = new Map<string, Partial<Record<Slot, Programme>>>();
  for (const row of rows) {
    const slots = byUuid.get(row.uuid) ?? {};
    slots[row.slot] = programme(row);
    byUuid.set(row.uuid, slots);
  }
  return [...byUuid].flatMap(([uuid, slots]) =>
    slots.current ? [{ uuid, previous: slots.previous ?? null, current: slots.current, next: slots.next ?? null }] : [],
  );
}
