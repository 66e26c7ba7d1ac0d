/**
 * The typed snapshot of one scrape: everything the collectors may read, gathered once per scrape from
 * PostgreSQL (and, for live families, Redis). Collectors are pure functions of a snapshot and the settings.
 */

/** What the applied Django migrations say about the database layout. */
export interface SchemaLevel {
  /** Highest applied migration number per Django app, e.g. `{ dispatcharr_channels: 38, m3u: 19 }`. */
  readonly migrations: Readonly<Record<string, number>>;
  /** v0.25+: `dispatcharr_channels_channeloverride` exists; `channel_number` may be NULL. */
  readonly channelOverrides: boolean;
  /** v0.21+: `m3u_m3uaccountprofile.exp_date` exists. */
  readonly profileExpDateColumn: boolean;
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

export interface ChannelCounts {
  readonly total: number;
  /** Channels enabled in at least one channel profile. */
  readonly enabled: number;
  readonly groups: number;
}

export interface M3uProfile {
  readonly id: string;
  readonly name: string;
  readonly maxStreams: number;
  readonly isActive: boolean;
  readonly isDefault: boolean;
  readonly accountId: string;
  readonly accountName: string;
  readonly accountType: string;
  readonly accountLocked: boolean;
  /** The provider's expiry, epoch seconds, when Dispatcharr knows it. */
  readonly expiresAt: number | null;
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
}

export type PartName = keyof Parts;

export interface Snapshot {
  /** Epoch seconds when the scrape started; durations and expiries are computed against it. */
  readonly time: number;
  readonly dispatcharrVersion: string;
  readonly parts: { readonly [K in PartName]?: Part<Parts[K]> };
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
