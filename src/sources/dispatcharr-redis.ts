/**
 * Reads Dispatcharr's live proxy state from Redis: one SCAN walk, then two pipelined batches, whatever
 * the number of channels, clients or VOD sessions. Only the hash fields the exporter uses are asked for
 * (HMGET), so provider URLs, headers and credentials never leave Redis.
 */
import { CLIENT_FIELDS, METADATA_FIELDS, VOD_FIELDS, type Fields, type LiveChannel, type LiveState } from '../snapshot.js';
import type { RedisSource } from './redis.js';
import { Batch, type Slot } from './redis-batch.js';
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

function toFields<F extends string>(names: readonly F[], reply: RespValue): Fields<F> | undefined {
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

function numericMap(keys: readonly string[], pattern: RegExp, reply: RespValue): Record<string, number> {
  const map: Record<string, number> = {};
  if (!Array.isArray(reply)) return map;
  keys.forEach((key, i) => {
    const id = pattern.exec(key)?.[1];
    const value = reply[i];
    if (id !== undefined && typeof value === 'string' && /^\d+$/.test(value.trim())) map[id] = Number(value.trim());
  });
  return map;
}

/** Sorted, de-duplicated member ids of a client set. */
function memberIds(reply: RespValue): string[] {
  return Array.isArray(reply) ? [...new Set(reply.filter((m): m is string => typeof m === 'string'))].sort() : [];
}

function hmget<F extends string>(batch: Batch, key: string, names: readonly F[]): Slot<Fields<F> | undefined> {
  return batch.add(['HMGET', key, ...names], (reply) => toFields(names, reply));
}

function mget(batch: Batch, keys: readonly string[], pattern: RegExp): Slot<Record<string, number>> {
  return keys.length > 0 ? batch.add(['MGET', ...keys], (reply) => numericMap(keys, pattern, reply)) : () => ({});
}

/** The entries whose hash still exists (HMGET found at least one field). */
function present<F extends string>(entries: readonly { id: string; fields: Slot<Fields<F> | undefined> }[]) {
  return entries.flatMap(({ id, fields }) => {
    const value = fields();
    return value ? [{ id, fields: value }] : [];
  });
}

export async function readLiveState(redis: Pick<RedisSource, 'roundTrips' | 'scanAll' | 'pipeline'>): Promise<LiveState> {
  const startTrips = redis.roundTrips;
  const found = classifyKeys(await redis.scanAll());

  const first = new Batch();
  const channels = [...found.metadataKeys].map(([uuid, prefix]) => {
    const key = `${prefix}channel:${uuid}`;
    return {
      uuid,
      key,
      metadata: hmget(first, `${key}:metadata`, METADATA_FIELDS),
      clientIds: first.add(['SMEMBERS', `${key}:clients`], memberIds),
    };
  });
  const vod = found.vodKeys.map((key) => ({
    id: key.slice('vod_persistent_connection:'.length),
    fields: hmget(first, key, VOD_FIELDS),
  }));
  const reservedStreams = mget(first, found.reservedStreamKeys, RESERVED_STREAM_KEY);
  const streamProfiles = mget(first, found.streamProfileKeys, STREAM_PROFILE_KEY);
  await first.run(redis);

  // Client hashes are named by the set members, so they can only be asked for once the first batch is back.
  const second = new Batch();
  const withClients = channels.map(({ uuid, key, metadata, clientIds }) => ({
    uuid,
    metadata,
    clients: clientIds().map((id) => ({ id, fields: hmget(second, `${key}:clients:${id}`, CLIENT_FIELDS) })),
  }));
  await second.run(redis);

  const live: LiveChannel[] = withClients.flatMap(({ uuid, metadata, clients }) => {
    const value = metadata();
    return value ? [{ uuid, metadata: value, clients: present(clients) }] : [];
  });
  return {
    channels: live,
    vodSessions: present(vod),
    reservedStreams: reservedStreams(),
    streamProfiles: streamProfiles(),
    roundTrips: redis.roundTrips - startTrips,
  };
}
