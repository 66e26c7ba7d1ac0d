/**
 * Reads Dispatcharr's live proxy state from Redis: one SCAN walk, then two pipelined batches, whatever
 * the number of channels, clients or VOD sessions. Only the hash fields the exporter uses are asked for
 * (HMGET), so provider URLs, headers and credentials never leave Redis.
 */
import {
  CLIENT_FIELDS,
  METADATA_FIELDS,
  VOD_FIELDS,
  type ClientField,
  type Fields,
  type LiveChannel,
  type LiveState,
  type VodSession,
} from '../snapshot.js';
import type { RedisSource } from './redis.js';
import type { RespValue } from './resp.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Live proxy prefixes, newest first: a channel seen under both (mid-upgrade) is read from the newer one. */
const PREFIXES = ['live:', 'ts_proxy:'] as const;
const METADATA_KEY = /^(live:|ts_proxy:)channel:([^:]+):metadata$/;
const VOD_KEY = /^vod_persistent_connection:(.+)$/;
const RESERVED_STREAM_KEY = /^channel_stream:(\d+)$/;
const STREAM_PROFILE_KEY = /^stream_profile:(\d+)$/;

interface Discovered {
  readonly metadataKeys: Map<string, string>; // channel uuid → prefix
  readonly vodKeys: string[];
  readonly reservedStreamKeys: string[];
  readonly streamProfileKeys: string[];
}

/** Sorts the key names of one SCAN walk into what the exporter reads. Stream previews (keyed by a hash, not a UUID) are ignored. */
export function classifyKeys(keys: readonly string[]): Discovered {
  const metadataKeys = new Map<string, string>();
  const vodKeys: string[] = [];
  const reservedStreamKeys: string[] = [];
  const streamProfileKeys: string[] = [];
  for (const key of keys) {
    const metadata = METADATA_KEY.exec(key);
    if (metadata) {
      const [, prefix = '', cid = ''] = metadata;
      if (!UUID.test(cid)) continue;
      const uuid = cid.toLowerCase();
      const known = metadataKeys.get(uuid);
      if (!known || PREFIXES.indexOf(prefix as (typeof PREFIXES)[number]) < PREFIXES.indexOf(known as (typeof PREFIXES)[number])) {
        metadataKeys.set(uuid, prefix);
      }
    } else if (VOD_KEY.test(key)) vodKeys.push(key);
    else if (RESERVED_STREAM_KEY.test(key)) reservedStreamKeys.push(key);
    else if (STREAM_PROFILE_KEY.test(key)) streamProfileKeys.push(key);
  }
  for (const list of [vodKeys, reservedStreamKeys, streamProfileKeys]) list.sort();
  return {
    metadataKeys: new Map([...metadataKeys].sort(([a], [b]) => a.localeCompare(b))),
    vodKeys,
    reservedStreamKeys,
    streamProfileKeys,
  };
}

function toFields<F extends string>(names: readonly F[], reply: RespValue | undefined): Fields<F> | undefined {
  if (!Array.isArray(reply)) return undefined;
  const fields: { [K in F]?: string } = {};
  let any = false;
  names.forEach((name, i) => {
    const value = reply[i];
    if (typeof value === 'string') {
      fields[name] = value;
      any = true;
    }
  });
  return any ? fields : undefined;
}

function numericMap(keys: readonly string[], pattern: RegExp, reply: RespValue | undefined): Record<string, number> {
  const map: Record<string, number> = {};
  if (!Array.isArray(reply)) return map;
  keys.forEach((key, i) => {
    const id = pattern.exec(key)?.[1];
    const value = reply[i];
    if (id !== undefined && typeof value === 'string' && /^\d+$/.test(value.trim())) map[id] = Number(value.trim());
  });
  return map;
}

export async function readLiveState(redis: RedisSource): Promise<LiveState> {
  const startTrips = redis.roundTrips;
  const found = classifyKeys(await redis.scanAll());
  const channels = [...found.metadataKeys];

  const batch: string[][] = [];
  for (const [uuid, prefix] of channels) {
    batch.push(['HMGET', `${prefix}channel:${uuid}:metadata`, ...METADATA_FIELDS]);
    batch.push(['SMEMBERS', `${prefix}channel:${uuid}:clients`]);
  }
  for (const key of found.vodKeys) batch.push(['HMGET', key, ...VOD_FIELDS]);
  const mgets: [string[], RegExp][] = [
    [found.reservedStreamKeys, RESERVED_STREAM_KEY],
    [found.streamProfileKeys, STREAM_PROFILE_KEY],
  ];
  for (const [keys] of mgets) if (keys.length > 0) batch.push(['MGET', ...keys]);
  const replies = await redis.pipeline(batch);

  const clientIds: string[][] = channels.map((_, i) => {
    const members = replies[i * 2 + 1];
    return Array.isArray(members) ? [...new Set(members.filter((m): m is string => typeof m === 'string'))].sort() : [];
  });
  const clientBatch: string[][] = [];
  channels.forEach(([uuid, prefix], i) => {
    for (const id of clientIds[i] ?? []) clientBatch.push(['HMGET', `${prefix}channel:${uuid}:clients:${id}`, ...CLIENT_FIELDS]);
  });
  const clientReplies = await redis.pipeline(clientBatch);

  const live: LiveChannel[] = [];
  let clientIndex = 0;
  channels.forEach(([uuid], i) => {
    const clients = (clientIds[i] ?? []).flatMap((id) => {
      const fields = toFields<ClientField>(CLIENT_FIELDS, clientReplies[clientIndex++]);
      return fields ? [{ id, fields }] : [];
    });
    const metadata = toFields(METADATA_FIELDS, replies[i * 2]);
    if (metadata) live.push({ uuid, metadata, clients });
  });

  let next = channels.length * 2;
  const vodSessions: VodSession[] = [];
  for (const key of found.vodKeys) {
    const fields = toFields(VOD_FIELDS, replies[next++]);
    if (fields) vodSessions.push({ id: key.slice('vod_persistent_connection:'.length), fields });
  }
  const maps = mgets.map(([keys, pattern]) => (keys.length > 0 ? numericMap(keys, pattern, replies[next++]) : {}));

  return {
    channels: live,
    vodSessions,
    reservedStreams: maps[0] ?? {},
    streamProfiles: maps[1] ?? {},
    roundTrips: redis.roundTrips - startTrips,
  };
}
