/** Live channels as Redis and the database see them together, and the numbers derived from both. */
import { pythonFloat } from '../exposition/numbers.js';
import {
  type Fields,
  partValue,
  type LiveChannel,
  type LiveChannelRow,
  type LiveState,
  type Snapshot,
  type VodField,
} from '../snapshot.js';

export interface LiveStream {
  readonly live: LiveChannel;
  readonly row: LiveChannelRow;
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const ZERO = 0x30;

/** Whether a text's second character is a letter, as in JavaScript's 0x, 0o and 0b literals. */
function secondIsLetter(text: string): boolean {
  const code = text.charCodeAt(1) | 0x20;
  return code >= 0x61 && code <= 0x7a;
}

/**
 * A number Dispatcharr stored as text, or undefined when it is missing or not a finite number: a decimal (sign,
 * digits, point, exponent), with white space around it allowed. Number() reads every such text the same way and
 * gives a finite number for no other text but an empty one and hexadecimal, octal and binary literals; so a text
 * that starts with neither white space nor `0<letter>` is taken at Number()'s word, and the rest (the empty text too:
 * it has no first character) is checked against the pattern. Thousands of values a scrape take the short way.
 */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const first = text.charCodeAt(0);
  if (first > 0x20 && first !== 0xa0 && first < 0x1680 && !(first === ZERO && secondIsLetter(text))) return value;
  return DECIMAL.test(text.trim()) ? value : undefined;
}

/** A size or rate Dispatcharr stored as text: a number that is not negative, else undefined (skips.ts counts it). */
export function parseAmount(text: string | undefined): number | undefined {
  const value = parseNumber(text);
  return value !== undefined && value >= 0 ? value : undefined;
}

/** Channels whose metadata hash exists and which still exist in the database, in channel-number order. */
export function liveStreams(snapshot: Snapshot): LiveStream[] {
  const live = partValue(snapshot, 'live');
  const join = partValue(snapshot, 'liveJoin');
  const byUuid = new Map<string, LiveChannel>();
  for (const channel of live.channels) byUuid.set(channel.uuid, channel);
  const streams: LiveStream[] = [];
  for (const row of join.channels) {
    const channel = byUuid.get(row.uuid.toLowerCase());
    if (channel) streams.push({ live: channel, row });
  }
  return streams;
}

/** The join labels every per-stream and per-client family carries. `channel_number` prints like Python's float. */
export function channelLabels(row: LiveChannelRow): { channel_uuid: string; channel_number: string } {
  return { channel_uuid: row.uuid, channel_number: row.number === null ? '' : pythonFloat(row.number) };
}

/** Seconds since an epoch timestamp field, or undefined when the field is missing, zero or in the future. */
export function secondsSince(text: string | undefined, now: number): number | undefined {
  const then = parseNumber(text);
  if (then === undefined || then <= 0 || then > now) return undefined;
  return Math.round((now - then) * 1000) / 1000;
}

function countOne(counts: Map<string, number>, id: string | null | undefined): void {
  if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
}

/**
 * Provider connections in use per M3U profile: one per live channel holding the profile plus one per
 * VOD session streaming through it. Counted from the live state, so unlimited profiles (for which
 * Dispatcharr keeps no counter) are right too.
 */
export function connectionsByProfile(streams: readonly LiveStream[], live: LiveState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stream of streams) countOne(counts, stream.row.profileId);
  for (const session of live.vodSessions) {
    const active = parseNumber(session.fields.active_streams) ?? 0;
    const profile = session.fields.m3u_profile_id?.trim();
    if (active > 0 && profile && /^\d+$/.test(profile)) countOne(counts, profile);
  }
  return counts;
}

/** A VOD playback session with at least one open response: a stream in the v3 layout. */
export interface VodStream {
  readonly id: string;
  /** The session's millisecond timestamp (`vod_<ms>_<random>`), its "channel number" in the v3 layout; else the id. */
  readonly number: string;
  readonly activeStreams: number;
  readonly uptime?: number;
  readonly fields: Fields<VodField>;
}

export function vodStreams(snapshot: Snapshot): VodStream[] {
  const streams: VodStream[] = [];
  for (const session of partValue(snapshot, 'live').vodSessions) {
    const activeStreams = Math.trunc(parseNumber(session.fields.active_streams) ?? 0);
    if (activeStreams <= 0) continue;
    const uptime = secondsSince(session.fields.created_at, snapshot.time);
    const number = /^vod_(\d+)_/.exec(session.id)?.[1] ?? session.id;
    streams.push({ id: session.id, number, activeStreams, fields: session.fields, ...(uptime !== undefined && { uptime }) });
  }
  return streams;
}
