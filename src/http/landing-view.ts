/**
 * What the landing page shows, taken from the snapshot a scrape reads anyway: the live streams, the providers'
 * connections against their limits and their expiry, whether the backends answered, and what failed.
 */
import { connectionsByProfile, liveStreams, parseNumber, secondsSince } from '../collectors/live-view.js';
import { daysToExpiry } from '../collectors/profiles.js';
import { type PartName, partValue, type Snapshot } from '../snapshot.js';

export interface StreamRow {
  readonly channel: string;
  readonly number: string;
  readonly provider: string;
  readonly state: string;
  readonly resolution: string;
  /** Source video bitrate in kbps, from ffmpeg; else the average ingest bitrate. */
  readonly kbps?: number;
  readonly uptimeSeconds?: number;
  /** 0 primary, above 0 a backup, -1 a stream no longer in the channel's list; undefined when unknown. */
  readonly position?: number;
  readonly clients: number;
}

export interface ProviderRow {
  readonly account: string;
  readonly profile: string;
  readonly connections: number;
  /** 0 = unlimited. */
  readonly limit: number;
  /** Whole days left; undefined when the provider gives no expiry. */
  readonly daysLeft?: number;
}

export interface LandingView {
  readonly time: number;
  readonly dispatcharrVersion: string;
  readonly postgres: boolean;
  readonly redis: boolean | undefined;
  /** Undefined when this scrape did not read them (or could not). */
  readonly streams?: readonly StreamRow[];
  readonly providers?: readonly ProviderRow[];
  /** `part: error` for every part this scrape could not read. */
  readonly errors: readonly string[];
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function streamRows(snapshot: Snapshot): StreamRow[] {
  return liveStreams(snapshot).map(({ live, row }) => {
    const meta = live.metadata;
    const uptime = secondsSince(meta.init_time, snapshot.time);
    const bytes = parseNumber(meta.total_bytes);
    const average = bytes !== undefined && uptime ? (bytes * 8) / uptime / 1000 : undefined;
    const kbps = parseNumber(meta.video_bitrate) ?? average;
    const position = row.streamId === null ? undefined : (row.position ?? -1);
    return {
      channel: row.name,
      number: row.number === null ? '' : String(row.number),
      provider: row.provider ?? 'unknown',
      state: meta.state?.trim() || 'unknown',
      resolution: meta.resolution?.trim() || '',
      clients: live.clients.length,
      ...(kbps !== undefined && { kbps }),
      ...(uptime !== undefined && { uptimeSeconds: uptime }),
      ...(position !== undefined && { position }),
    };
  });
}

function providerRows(snapshot: Snapshot): ProviderRow[] {
  const profiles = partValue(snapshot, 'profiles');
  const connections = attempt(() => connectionsByProfile(liveStreams(snapshot), partValue(snapshot, 'live'))) ?? new Map<string, number>();
  return profiles
    .filter((profile) => !profile.accountLocked)
    .map((profile) => {
      const days = daysToExpiry(profile.expiresAt, snapshot.time);
      return {
        account: profile.accountName,
        profile: profile.name,
        connections: connections.get(profile.id) ?? 0,
        limit: profile.maxStreams,
        ...(days >= 0 && { daysLeft: days }),
      };
    });
}

export function landingView(snapshot: Snapshot): LandingView {
  const parts = snapshot.parts;
  const errors = (Object.keys(parts) as PartName[]).flatMap((name) => {
    const part = parts[name];
    return part && !part.ok ? [`${name}: ${part.error}`] : [];
  });
  const streams = attempt(() => streamRows(snapshot));
  const providers = attempt(() => providerRows(snapshot));
  return {
    time: snapshot.time,
    dispatcharrVersion: snapshot.dispatcharrVersion,
    postgres: parts.database?.ok ?? false,
    redis: parts.live?.ok,
    ...(streams && { streams }),
    ...(providers && { providers }),
    errors,
  };
}
