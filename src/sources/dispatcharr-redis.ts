/**
 * Reads Dispatcharr's live proxy state from Redis: the keys found (live-discovery.ts), then two pipelined
 * batches, whatever the number of channels, clients or VOD sessions. Only the hash fields the exporter uses are asked for
 * (HMGET), so provider URLs, headers and credentials never leave Redis.
 */
import { SkipRecorder } from '../skips.js';
import { CLIENT_FIELDS, METADATA_FIELDS, VOD_FIELDS, type Fields, type LiveChannel, type LiveState } from '../snapshot.js';
import { CLIENT_KINDS, checkFields, fieldProblem, METADATA_KINDS, VOD_KINDS } from './field-checks.js';
import { type ChannelCatalogue, LiveDiscovery, RESERVED_STREAM_KEY, STREAM_PROFILE_KEY } from './live-discovery.js';
import type { RedisSource } from './redis.js';
import { Batch, type Slot } from './redis-batch.js';
import { RespError, type RespValue } from './resp.js';

function toFields<F extends string>(names: readonly F[], reply: RespValue): Fields<F> | undefined {
  if (!Array.isArray(reply)) return undefined;
  const fields: { [K in F]?: string } = {};
  let any = false;
  for (let i = 0; i < names.length; i++) {
    const value = reply[i];
    if (typeof value === 'string') {
      fields[names[i] as F] = value;
      any = true;
    }
  }
  return any ? fields : undefined;
}

/** Values that are ids, by the id in their key name; a value that is not an id is recorded (a nil one expired). */
function numericMap(keys: readonly string[], pattern: RegExp, reply: RespValue, skips: SkipRecorder): Record<string, number> {
  const map: Record<string, number> = {};
  if (!Array.isArray(reply)) return map;
  keys.forEach((key, i) => {
    const id = pattern.exec(key)?.[1];
    const value = reply[i];
    if (id === undefined || typeof value !== 'string') return;
    if (/^\d+$/.test(value.trim())) map[id] = Number(value.trim());
    else if (fieldProblem('id', value, 0)) skips.add({ source: 'redis', reason: 'not_an_id', key });
  });
  return map;
}

/** A WRONGTYPE error: the key exists but holds another type than Dispatcharr writes there. */
function wrongType(reply: RespValue, key: string, skips: SkipRecorder): void {
  if (reply instanceof RespError && reply.message.startsWith('WRONGTYPE')) skips.add({ source: 'redis', reason: 'wrong_type', key });
}

/** Sorted, de-duplicated member ids of a client set. */
function memberIds(reply: RespValue): string[] {
  return Array.isArray(reply) ? [...new Set(reply.filter((m): m is string => typeof m === 'string'))].sort() : [];
}

function smembers(batch: Batch, key: string, skips: SkipRecorder): Slot<string[]> {
  return batch.add(['SMEMBERS', key], (reply) => {
    wrongType(reply, key, skips);
    return memberIds(reply);
  });
}

function hmget<F extends string>(batch: Batch, key: string, names: readonly F[], skips: SkipRecorder): Slot<Fields<F> | undefined> {
  return batch.add(['HMGET', key, ...names], (reply) => {
    wrongType(reply, key, skips);
    return toFields(names, reply);
  });
}

function mget(batch: Batch, keys: readonly string[], pattern: RegExp, skips: SkipRecorder): Slot<Record<string, number>> {
  return keys.length > 0 ? batch.add(['MGET', ...keys], (reply) => numericMap(keys, pattern, reply, skips)) : () => ({});
}

/** The `last_data` times of the channels, in their order: one MGET; a value that is not a time is recorded and left out. */
function lastDataOf(batch: Batch, keys: readonly string[], now: number, skips: SkipRecorder): Slot<(string | undefined)[]> {
  if (keys.length === 0) return () => [];
  return batch.add(['MGET', ...keys], (reply) =>
    keys.map((key, i) => {
      const value = Array.isArray(reply) ? reply[i] : undefined;
      if (typeof value !== 'string') return undefined;
      const problem = fieldProblem('timestamp', value, now);
      if (problem) {
        skips.add({ source: 'redis', reason: problem, key });
        return undefined;
      }
      return value;
    }),
  );
}

/** The entries whose hash still exists (HMGET found at least one field). */
function present<F extends string>(entries: readonly { id: string; key: string; fields: Slot<Fields<F> | undefined> }[]) {
  const found: { id: string; key: string; fields: Fields<F> }[] = [];
  for (const { id, key, fields } of entries) {
    const value = fields();
    if (value) found.push({ id, key, fields: value });
  }
  return found;
}

/** Where a read reports malformed values, and the collection's time that timestamps are checked against. */
export interface LiveChecks {
  readonly skips: SkipRecorder;
  /** Epoch seconds. */
  readonly now: number;
}

/** How a read finds the live keys: the route chooser (kept from scrape to scrape) and what the database can tell it. */
export interface LiveKeys {
  readonly discovery: LiveDiscovery;
  /** Absent when the database is not asked (the scan route is then the only one). */
  readonly catalogue?: ChannelCatalogue;
}

/** `stream_profile:` keys of the streams live channels play or reserved: the direct route's way to them. */
function streamProfileKeys(metadata: readonly (Fields<'stream_id'> | undefined)[], reserved: Record<string, number>): string[] {
  const ids = new Set<string>(Object.values(reserved).map(String));
  for (const fields of metadata) {
    const id = fields?.stream_id?.trim();
    if (id && /^\d{1,18}$/.test(id)) ids.add(id);
  }
  return [...ids].sort().map((id) => `stream_profile:${id}`);
}

export async function readLiveState(
  redis: Pick<RedisSource, 'roundTrips' | 'scanAll' | 'pipeline'>,
  checks: LiveChecks = { skips: new SkipRecorder(), now: Date.now() / 1000 },
  keys: LiveKeys = { discovery: new LiveDiscovery() },
): Promise<LiveState> {
  const { skips, now } = checks;
  const startTrips = redis.roundTrips;
  const found = await keys.discovery.discover(redis, keys.catalogue, skips);
  const vodWalk = keys.discovery.vod;

  const first = new Batch();
  const channels = [...found.metadataKeys].map(([uuid, prefix]) => {
    const key = `${prefix}channel:${uuid}`;
    return {
      uuid,
      key,
      metadata: hmget(first, `${key}:metadata`, METADATA_FIELDS, skips),
      clientIds: smembers(first, `${key}:clients`, skips),
    };
  });
  const vod = vodWalk.keys().map((key) => ({
    id: key.slice('vod_persistent_connection:'.length),
    key,
    fields: hmget(first, key, VOD_FIELDS, skips),
  }));
  const lastData = lastDataOf(
    first,
    channels.map((c) => `${c.key}:last_data`),
    now,
    skips,
  );
  const reservedStreams = mget(first, found.reservedStreamKeys, RESERVED_STREAM_KEY, skips);
  const scannedProfiles = found.streamProfileKeys && mget(first, found.streamProfileKeys, STREAM_PROFILE_KEY, skips);
  if (found.mode === 'direct') vodWalk.page(first);
  await first.run(redis);

  // Client hashes are named by the set members, so they can only be asked for once the first batch is back.
  const second = new Batch();
  const withClients = channels.map(({ uuid, key, metadata, clientIds }) => ({
    uuid,
    metadata,
    key,
    clients: clientIds().map((id) => {
      const clientKey = `${key}:clients:${id}`;
      return { id, key: clientKey, fields: hmget(second, clientKey, CLIENT_FIELDS, skips) };
    }),
  }));
  const streamProfiles =
    scannedProfiles ??
    mget(
      second,
      streamProfileKeys(
        channels.map((c) => c.metadata()),
        reservedStreams(),
      ),
      STREAM_PROFILE_KEY,
      skips,
    );
  await second.run(redis);

  const lastDataTimes = lastData();
  const live: LiveChannel[] = withClients.flatMap(({ uuid, key, metadata, clients }, i) => {
    const value = metadata();
    if (!value) return [];
    checkFields(METADATA_KINDS, value, `${key}:metadata`, now, skips);
    const connected = present(clients);
    for (const client of connected) checkFields(CLIENT_KINDS, client.fields, client.key, now, skips);
    const data = lastDataTimes[i];
    return [
      {
        uuid,
        metadata: value,
        clients: connected.map(({ id, fields }) => ({ id, fields })),
        ...(data !== undefined && { lastData: data }),
      },
    ];
  });
  const vodSessions = present(vod);
  const alive = new Set(vodSessions.map((session) => session.key));
  for (const { key } of vod) if (!alive.has(key)) vodWalk.forget(key);
  for (const session of vodSessions) checkFields(VOD_KINDS, session.fields, session.key, now, skips);
  return {
    channels: live,
    vodSessions: vodSessions.map(({ id, fields }) => ({ id, fields })),
    reservedStreams: reservedStreams(),
    streamProfiles: streamProfiles(),
    roundTrips: redis.roundTrips - startTrips,
    discovery: { mode: found.mode, keyspace: found.keyspace },
  };
}
