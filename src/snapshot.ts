/** The typed snapshot of one scrape: everything the collectors (pure functions of a snapshot and the settings) may read,
 * gathered once per scrape from PostgreSQL (and, for live families, Redis). The VOD catalogue types are in snapshot-vod.ts. */
import type { Skip } from './skips.js';
import type { EventTotals } from './snapshot-events.js';
import type { VodContent } from './snapshot-vod.js';

/** What the applied Django migrations say about the database layout. */
export interface SchemaLevel {
  /** Highest applied migration number per Django app, e.g. `{ dispatcharr_channels: 38, m3u: 19 }`. */
  readonly migrations: Readonly<Record<string, number>>;
  /** v0.25+: `dispatcharr_channels_channeloverride` exists; `channel_number` may be NULL. */
  readonly channelOverrides: boolean;
  /** v0.21+: `m3u_m3uaccountprofile.exp_date` exists. */
  readonly profileExpDateColumn: boolean;
  /** v0.17+: `core_coresettings` holds grouped JSON rows (`stream_settings`...) instead of one text row per setting. */
  readonly groupedCoreSettings: boolean;
  /** v0.25+: `dispatcharr_channels_channel.hidden_from_output` exists. */
  readonly hiddenFromOutputColumn: boolean;
  /** v0.22+: `accounts_user.stream_limit` exists; before, users had no stream limit. */
  readonly userStreamLimitColumn: boolean;
  /**
   * How many channels there are, and a fingerprint of the set (count and highest id: ids only grow, so any insert or
   * delete changes it); null when the migration ledger is empty.
   */
  readonly channelTable: { readonly rows: number; readonly fingerprint: string } | null;
}

export interface M3uAccount {
  readonly id: string;
  readonly name: string;
  readonly accountType: string;
  readonly status: string;
  readonly isActive: boolean;
  /** Dispatcharr marks its built-in "custom streams" account as locked. */
  readonly locked: boolean;
  readonly serverUrl: string | null;
  readonly username: string | null;
  readonly streamCount: number;
  /** `updated_at`: the last successful refresh, epoch seconds; null before the first. */
  readonly refreshedAt: number | null;
  /** Hours between scheduled refreshes; 0 = no schedule. */
  readonly refreshIntervalHours: number;
}

export interface EpgSource {
  readonly id: string;
  readonly name: string;
  readonly sourceType: string;
  readonly status: string;
  readonly isActive: boolean;
  readonly priority: number;
  readonly url: string | null;
}

/** A channel profile and the channels its output serves. */
export interface ChannelProfileCount {
  readonly id: string;
  readonly name: string;
  readonly enabled: number;
}

export interface ChannelCounts {
  readonly total: number;
  /** Channels Dispatcharr's default output serves: those not hidden from output. */
  readonly enabled: number;
  readonly groups: number;
  readonly profiles: readonly ChannelProfileCount[];
}

/** A Dispatcharr login (`accounts_user`), active or not. */
export interface User {
  readonly id: string;
  readonly username: string;
  /** 0 streamer, 1 standard user, 10 admin. */
  readonly level: number;
  readonly isStaff: boolean;
  /** `date_joined`, epoch seconds. */
  readonly dateJoined: number;
  /** Concurrent streams allowed, 0 = unlimited; 0 before Dispatcharr v0.22, which had no per-user limit. */
  readonly streamLimit: number;
}

export interface M3uProfile {
  readonly id: string;
  readonly name: string;
  readonly maxStreams: number;
  readonly accountName: string;
  readonly accountType: string;
  readonly accountLocked: boolean;
  /** The provider's expiry, epoch seconds, when Dispatcharr knows it. */
  readonly expiresAt: number | null;
}

export * from './snapshot-fields.js';
import type { ClientField, Fields, MetadataField, VodField } from './snapshot-fields.js';

export interface LiveClient {
  readonly id: string;
  readonly fields: Fields<ClientField>;
}

/** A channel the proxy is serving: its metadata hash exists. */
export interface LiveChannel {
  readonly uuid: string;
  readonly metadata: Fields<MetadataField>;
  /** Clients whose hash still exists; ids left in the set after their hash expired are not here. */
  readonly clients: readonly LiveClient[];
  /** `last_data`: when the proxy last received data from the provider (epoch seconds as text); gone 60 s after. */
  readonly lastData?: string;
}

export interface VodSession {
  readonly id: string;
  readonly fields: Fields<VodField>;
}

/**
 * The live channels and VOD sessions as the first batch of live reads finds them, before the clients' hashes: what
 * the database reads that join the live state need, so they can start while the clients are still being read.
 */
export interface LiveChannelSet {
  readonly channels: readonly Pick<LiveChannel, 'uuid' | 'metadata'>[];
  readonly vodSessions: readonly VodSession[];
  /** As in LiveState: read in the same batch. */
  readonly reservedStreams: Readonly<Record<string, number>>;
}

/** Dispatcharr's live proxy state, as read from Redis. */
export interface LiveState {
  readonly channels: readonly LiveChannel[];
  readonly vodSessions: readonly VodSession[];
  /** `channel_stream:<channel id>` → stream id: the stream reserved when the channel started. */
  readonly reservedStreams: Readonly<Record<string, number>>;
  /** `stream_profile:<stream id>` → M3U profile id holding the connection. */
  readonly streamProfiles: Readonly<Record<string, number>>;
  /** Redis round trips this read took. */
  readonly roundTrips: number;
  /** How the live keys were found: by walking the keyspace, or by asking after the database's channels. */
  readonly discovery: { readonly mode: 'scan' | 'direct'; readonly keyspace: number };
}

/** A live channel joined with Dispatcharr's database. */
export interface LiveChannelRow {
  readonly uuid: string;
  /** Effective name and number (channel overrides applied, Dispatcharr v0.25+). */
  readonly name: string;
  readonly number: number | null;
  readonly logoId: string | null;
  /** Effective channel group name (channel overrides applied). */
  readonly groupName: string | null;
  readonly streamId: string | null;
  readonly streamName: string | null;
  readonly provider: string | null;
  readonly providerType: string | null;
  readonly profileId: string | null;
  readonly profileName: string | null;
  readonly profileMaxStreams: number | null;
  readonly streamProfile: string | null;
  /** 0-based place of the playing stream in the channel's failover list; null when it is not in the list. */
  readonly position: number | null;
  readonly availableStreams: number;
}

export interface LiveJoin {
  readonly channels: readonly LiveChannelRow[];
  /** accounts_user id → username: at least for the user ids the live clients carry (every user's when the users part is read). */
  readonly usernames: Readonly<Record<string, string>>;
}

/**
 * Longest programme texts a label of `dispatcharr_stream_programming` carries, in characters (Unicode code
 * points); longer text is cut to one less and ends with "…". The source reads one character more than this.
 */
export const PROGRAMME_TEXT_LIMITS = { title: 200, subtitle: 200, description: 500 } as const;

/** One EPG programme (`epg_programdata`); texts are at most one character longer than PROGRAMME_TEXT_LIMITS. */
export interface Programme {
  readonly title: string;
  readonly subtitle: string | null;
  readonly description: string | null;
  /** Epoch seconds. */
  readonly start: number;
  readonly end: number;
}

/** The programmes around the scrape time on a live channel's effective EPG entry (only channels with one on air). */
export interface ChannelProgrammes {
  readonly uuid: string;
  readonly previous: Programme | null;
  readonly current: Programme;
  readonly next: Programme | null;
}

export type Part<T> =
  | { readonly ok: true; readonly value: T; readonly seconds: number }
  | { readonly ok: false; readonly error: string; readonly seconds: number };

export interface Parts {
  readonly database: SchemaLevel;
  readonly m3uAccounts: readonly M3uAccount[];
  readonly epgSources: readonly EpgSource[];
  readonly channelCounts: ChannelCounts;
  readonly profiles: readonly M3uProfile[];
  readonly live: LiveState;
  readonly liveJoin: LiveJoin;
  readonly programmes: readonly ChannelProgrammes[];
  readonly users: readonly User[];
  readonly vodCatalogue: readonly VodContent[];
  readonly events: EventTotals;
}

export type PartName = keyof Parts;

export interface Snapshot {
  /** Epoch seconds when the scrape started; durations and expiries are computed against it. */
  readonly time: number;
  readonly dispatcharrVersion: string;
  readonly parts: { readonly [K in PartName]?: Part<Parts[K]> };
  /** Malformed values the readers met and left out (skips.ts); counted by the scraper, not by collectors. */
  readonly skips?: readonly Skip[];
}

/** Thrown by a collector when a part it needs could not be read; the registry reports it as a failure. */
export class PartUnavailable extends Error {
  override readonly name = 'PartUnavailable';
}

export function partValue<K extends PartName>(snapshot: Snapshot, name: K): Parts[K] {
  const part = snapshot.parts[name];
  if (!part) throw new PartUnavailable(`${name} was not read`);
  if (!part.ok) throw new PartUnavailable(`${name}: ${part.error}`);
  return part.value as Parts[K];
}
