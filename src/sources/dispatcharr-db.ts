/**
 * Set-based reads of Dispatcharr's tables. One statement per snapshot part, whatever the number of
 * accounts, profiles or channels. Every value that comes from user or provider input is returned as
 * text and parsed here, never cast in SQL, so one odd row cannot fail a whole statement.
 */
import { SkipRecorder } from '../skips.js';
import type { ChannelCounts, EpgSource, M3uAccount, M3uProfile, SchemaLevel } from '../snapshot.js';
import type { Queryable } from './postgres.js';

/** Migration numbers that mark layout changes (data-contract.md, section 1.5). */
const CHANNEL_OVERRIDES_FROM = 37; // dispatcharr_channels 0037, Dispatcharr v0.25.0
const PROFILE_EXP_DATE_FROM = 19; // m3u 0019, Dispatcharr v0.21.0
const GROUPED_CORE_SETTINGS_FROM = 20; // core 0020, Dispatcharr v0.17.0
const HIDDEN_FROM_OUTPUT_FROM = 37; // dispatcharr_channels 0037, Dispatcharr v0.25.0
const USER_STREAM_LIMIT_FROM = 6; // accounts 0006, Dispatcharr v0.22.0

/** Said when the database answers but holds no Dispatcharr: a wrong POSTGRES_DB, not an outage. */
export const NO_DISPATCHARR_SCHEMA = 'this database has no Dispatcharr schema (check POSTGRES_DB)';
const UNDEFINED_TABLE = '42P01';

export async function readSchemaLevel(db: Queryable): Promise<SchemaLevel> {
  const rows = await db
    .query<{ app: string; number: number; channels: string }>(
      `SELECT app, max(substring(name FROM '^[0-9]+')::int) AS number,
              (SELECT count(*) || ' ' || COALESCE(max(id), 0) FROM dispatcharr_channels_channel) AS channels
         FROM django_migrations
        WHERE name ~ '^[0-9]+'
        GROUP BY app`,
    )
    .catch((error: unknown) => {
      if ((error as { code?: unknown }).code === UNDEFINED_TABLE) throw new Error(NO_DISPATCHARR_SCHEMA);
      throw error;
    });
  // Another Django application's ledger; an empty one (a database restored without it) is given the benefit of the doubt.
  if (rows.length > 0 && !rows.some((row) => row.app === 'dispatcharr_channels')) throw new Error(NO_DISPATCHARR_SCHEMA);
  const migrations: Record<string, number> = {};
  for (const row of rows) migrations[row.app] = row.number;
  const channels = rows[0]?.channels;
  return {
    migrations,
    channelTable: channels === undefined ? null : { rows: Number(channels.split(' ')[0]), fingerprint: channels },
    channelOverrides: (migrations['dispatcharr_channels'] ?? 0) >= CHANNEL_OVERRIDES_FROM,
    profileExpDateColumn: (migrations['m3u'] ?? 0) >= PROFILE_EXP_DATE_FROM,
    groupedCoreSettings: (migrations['core'] ?? 0) >= GROUPED_CORE_SETTINGS_FROM,
    hiddenFromOutputColumn: (migrations['dispatcharr_channels'] ?? 0) >= HIDDEN_FROM_OUTPUT_FROM,
    userStreamLimitColumn: (migrations['accounts'] ?? 0) >= USER_STREAM_LIMIT_FROM,
  };
}

export async function readM3uAccounts(db: Queryable): Promise<M3uAccount[]> {
  const rows = await db.query<{
    id: string;
    name: string;
    account_type: string;
    status: string;
    is_active: boolean;
    locked: boolean;
    server_url: string | null;
    username: string | null;
    stream_count: number;
    refreshed_at: number | null;
    refresh_interval: number;
  }>(
    `SELECT a.id::text AS id, a.name, a.account_type, a.status, a.is_active, a.locked, a.server_url, a.username,
            COALESCE(s.stream_count, 0)::int AS stream_count,
            extract(epoch FROM a.updated_at)::float8 AS refreshed_at, a.refresh_interval
       FROM m3u_m3uaccount a
       LEFT JOIN (SELECT m3u_account_id, count(*) AS stream_count
                    FROM dispatcharr_channels_stream
                   WHERE m3u_account_id IS NOT NULL
                   GROUP BY m3u_account_id) s ON s.m3u_account_id = a.id
      ORDER BY a.id`,
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    accountType: row.account_type,
    status: row.status,
    isActive: row.is_active,
    locked: row.locked,
    serverUrl: row.server_url,
    username: row.username,
    streamCount: row.stream_count,
    refreshedAt: row.refreshed_at,
    refreshIntervalHours: row.refresh_interval,
  }));
}

export async function readEpgSources(db: Queryable): Promise<EpgSource[]> {
  const rows = await db.query<{
    id: string;
    name: string;
    source_type: string;
    status: string;
    is_active: boolean;
    priority: number;
    url: string | null;
  }>(
    `SELECT id::text AS id, name, source_type, status, is_active, priority, url
       FROM epg_epgsource
      WHERE source_type <> 'dummy'
      ORDER BY epg_epgsource.id`,
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    sourceType: row.source_type,
    status: row.status,
    isActive: row.is_active,
    priority: row.priority,
    url: row.url,
  }));
}

/**
 * Channel counts. "Enabled" follows Dispatcharr's default output (/output/m3u without a profile): every
 * channel not hidden from output (the column exists from v0.25; before, every channel is served). Per
 * channel profile: the channels enabled in it and not hidden, what that profile's output serves.
 *
 * A profile's count is its enabled memberships less those of hidden channels: hidden channels are few and found by
 * their index, where joining every membership to its channel hashed the whole channel table (20,000 channels, 40,000
 * memberships: 22-28 ms against 32-38).
 */
export async function readChannelCounts(db: Queryable, level: SchemaLevel): Promise<ChannelCounts> {
  const served = level.hiddenFromOutputColumn ? 'NOT c.hidden_from_output' : 'true';
  const rows = await db.query<{
    total: number;
    enabled: number;
    groups: number;
    profiles: { id: string; name: string; enabled: number }[];
  }>(
    `WITH counts AS (SELECT count(*) AS total, count(*) FILTER (WHERE ${served}) AS enabled FROM dispatcharr_channels_channel c),
     members AS (
       SELECT m.channel_profile_id, count(*) AS enabled
         FROM dispatcharr_channels_channelprofilemembership m
        WHERE m.enabled
        GROUP BY m.channel_profile_id),
     unserved AS (
       SELECT m.channel_profile_id, count(*) AS enabled
         FROM dispatcharr_channels_channel c
         JOIN dispatcharr_channels_channelprofilemembership m ON m.channel_id = c.id
        WHERE m.enabled AND NOT (${served})
        GROUP BY m.channel_profile_id)
     SELECT counts.total::int AS total, counts.enabled::int AS enabled,
            (SELECT count(*) FROM dispatcharr_channels_channelgroup)::int AS groups,
            (SELECT COALESCE(json_agg(json_build_object('id', cp.id::text, 'name', cp.name,
                                                        'enabled', COALESCE(pm.enabled, 0) - COALESCE(pu.enabled, 0)) ORDER BY cp.id), '[]'::json)
               FROM dispatcharr_channels_channelprofile cp
               LEFT JOIN members pm ON pm.channel_profile_id = cp.id
               LEFT JOIN unserved pu ON pu.channel_profile_id = cp.id) AS profiles
       FROM counts`,
  );
  const row = rows[0];
  if (!row) throw new Error('channel count query returned no row');
  return { total: row.total, enabled: row.enabled, groups: row.groups, profiles: row.profiles };
}

/** Reads a provider expiry: a Unix timestamp as a number or numeric string, or nothing usable. */
export function parseExpiry(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value > 0 && Number.isFinite(value) ? value : null;
}

/**
 * Whether a provider expiry parseExpiry could not read is malformed: text that is not a positive Unix time. NULL,
 * empty text, `null` and zero are how providers say "no expiry", so they are not.
 */
export function isBadExpiry(text: string | null): boolean {
  if (text === null || parseExpiry(text) !== null) return false;
  const trimmed = text.trim();
  return !(trimmed === '' || /^null$/i.test(trimmed) || /^0+(\.0*)?$/.test(trimmed));
}

export async function readProfiles(db: Queryable, level: SchemaLevel, skips: SkipRecorder = new SkipRecorder()): Promise<M3uProfile[]> {
  const expColumn = level.profileExpDateColumn ? 'extract(epoch FROM p.exp_date)::float8' : 'NULL::float8';
  const rows = await db.query<{
    id: string;
    name: string;
    max_streams: number;
    account_name: string;
    account_type: string;
    account_locked: boolean;
    exp_column: number | null;
    exp_info: string | null;
  }>(
    `SELECT p.id::text AS id, p.name, p.max_streams,
            a.name AS account_name, a.account_type, a.locked AS account_locked,
            ${expColumn} AS exp_column,
            CASE WHEN jsonb_typeof(p.custom_properties -> 'user_info') = 'object'
                 THEN p.custom_properties -> 'user_info' ->> 'exp_date' END AS exp_info
       FROM m3u_m3uaccountprofile p
       JOIN m3u_m3uaccount a ON a.id = p.m3u_account_id
      ORDER BY p.id`,
  );
  return rows.map((row) => {
    // The JSON copy is read only when the column (Dispatcharr 0.21+) has no expiry.
    if (row.exp_column === null && isBadExpiry(row.exp_info)) {
      skips.add({
        source: 'postgres',
        reason: 'bad_expiry',
        key: `m3u_m3uaccountprofile:${row.id}`,
        field: 'custom_properties.user_info.exp_date',
      });
    }
    return {
      id: row.id,
      name: row.name,
      maxStreams: row.max_streams,
      accountName: row.account_name,
      accountType: row.account_type,
      accountLocked: row.account_locked,
      expiresAt: row.exp_column ?? parseExpiry(row.exp_info),
    };
  });
}

/** The settings saved for this plugin on Dispatcharr's Plugins page (`{}` until the first save), or null without a row. */
export async function readPluginSettings(db: Queryable, key: string): Promise<unknown> {
  const rows = await db.query<{ settings: unknown }>('SELECT settings FROM plugins_pluginconfig WHERE key = $1', [key]);
  return rows[0]?.settings ?? null;
}
