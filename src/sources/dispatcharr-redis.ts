/**
 * Reads Dispatcharr's live proxy state from Redis: the keys found (live-discovery.ts), then two pipelined
 * batches, whatever the number of channels, clients or VOD sessions. Only the hash fields the exporter uses are asked for
 * (HMGET), so provider URLs, headers and credentials never leave Redis.
 */
import { SkipRecorder } from '../skips.js';
import {
  CLIENT_FIELDS,
  type ClientField,
  type Fields,
  type LiveChannel,
  type LiveChannelSet,
  type LiveState,
  METADATA_FIELDS,
  type MetadataField,
  VOD_FIELDS,
  type VodField,
} from '../snapshot.js';
import { CLIENT_KINDS, checkFields, METADATA_KINDS, VOD_KINDS } from './field-checks.js';
import { type ChannelCatalogue, LiveDiscovery, RESERVED_STREAM_KEY, STREAM_PROFILE_KEY } from './live-discovery.js';
import { VOD_KEY_PREFIX } from './vod-key-walk.js';
import type { RedisSource } from './redis.js';
import { Batch, type Slot } from './redis-batch.js';
import { type HashEntry, hmget, idsAndFields, lastDataOf, mget, present, smembers } from './redis-reads.js';

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
function streamProfileKeys(channels: readonly ChannelRead[], reserved: Record<string, number>): string[] {
  const ids = new Set<string>();
  for (const id of Object.values(reserved)) ids.add(String(id));
  for (const channel of channels) {
    const id = channel.metadata.get()?.stream_id?.trim();
    if (id && /^\d{1,18}$/.test(id)) ids.add(id);
  }
  const keys: string[] = [];
  for (const id of [...ids].sort()) keys.push(`stream_profile:${id}`);
  return keys;
}

/** A live channel's reads in the first batch: its metadata hash and its client set. */
interface ChannelRead {
  readonly uuid: string;
  readonly key: string;
  readonly metadata: Slot<Fields<MetadataField> | undefined>;
  readonly clientIds: Slot<string[]>;
}

function queueChannels(batch: Batch, metadataKeys: ReadonlyMap<string, string>, skips: SkipRecorder): ChannelRead[] {
  const channels: ChannelRead[] = [];
  for (const [uuid, prefix] of metadataKeys) {
    const key = `${prefix}channel:${uuid}`;
    channels.push({
      uuid,
      key,
      metadata: hmget(batch, `${key}:metadata`, METADATA_FIELDS, skips),
      clientIds: smembers(batch, `${key}:clients`, skips),
    });
  }
  return channels;
}

function queueVodSessions(batch: Batch, keys: readonly string[], skips: SkipRecorder): HashEntry<VodField>[] {
  const sessions: HashEntry<VodField>[] = [];
  for (const key of keys) sessions.push({ id: key.slice(VOD_KEY_PREFIX.length), key, fields: hmget(batch, key, VOD_FIELDS, skips) });
  return sessions;
}

/** The client hashes of each channel, named by the members of its client set. */
function queueClients(batch: Batch, channels: readonly ChannelRead[], skips: SkipRecorder): HashEntry<ClientField>[][] {
  const perChannel: HashEntry<ClientField>[][] = [];
  for (const { key, clientIds } of channels) {
    const clients: HashEntry<ClientField>[] = [];
    for (const id of clientIds.get()) {
      const clientKey = `${key}:clients:${id}`;
      clients.push({ id, key: clientKey, fields: hmget(batch, clientKey, CLIENT_FIELDS, skips) });
    }
    perChannel.push(clients);
  }
  return perChannel;
}

/** The channels whose metadata hash exists, with the clients whose hash exists, their fields checked. */
function liveChannels(
  channels: readonly ChannelRead[],
  clients: readonly HashEntry<ClientField>[][],
  lastData: readonly (string | undefined)[],
  { skips, now }: LiveChecks,
): LiveChannel[] {
  const live: LiveChannel[] = [];
  for (let i = 0; i < channels.length; i++) {
    const { uuid, key, metadata } = channels[i] as ChannelRead;
    const value = metadata.get();
    if (!value) continue;
    checkFields(METADATA_KINDS, value, `${key}:metadata`, now, skips);
    const connected = present(clients[i] ?? []);
    for (const client of connected) checkFields(CLIENT_KINDS, client.fields, client.key, now, skips);
    const data = lastData[i];
    live.push({ uuid, metadata: value, clients: idsAndFields(connected), ...(data !== undefined && { lastData: data }) });
  }
  return live;
}

/**
 * The channels whose metadata hash exists, with it, in the order they were read, the VOD sessions found and the
 * reserved streams.
 */
function channelSet(
  channels: readonly ChannelRead[],
  vodSessions: LiveChannelSet['vodSessions'],
  reservedStreams: LiveChannelSet['reservedStreams'],
): LiveChannelSet {
  const found: { uuid: string; metadata: Fields<MetadataField> }[] = [];
  for (const { uuid, metadata } of channels) {
    const value = metadata.get();
    if (value) found.push({ uuid, metadata: value });
  }
  return { channels: found, vodSessions, reservedStreams };
}

/**
 * `onChannelSet` hears the live channels, VOD sessions and reserved streams once the first batch is back, while the
 * clients' hashes are still to be read: the database reads that join them need no more, and can start then.
 */
export async function readLiveState(
  redis: Pick<RedisSource, 'roundTrips' | 'scanAll' | 'pipeline'>,
  checks: LiveChecks = { skips: new SkipRecorder(), now: Date.now() / 1000 },
  keys: LiveKeys = { discovery: new LiveDiscovery() },
  onChannelSet?: (set: LiveChannelSet) => void,
): Promise<LiveState> {
  const { skips, now } = checks;
  const startTrips = redis.roundTrips;
  const found = await keys.discovery.discover(redis, keys.catalogue, skips);
  const vodWalk = keys.discovery.vod;

  const first = new Batch();
  const channels = queueChannels(first, found.metadataKeys, skips);
  const vod = queueVodSessions(first, vodWalk.keys(), skips);
  const lastDataKeys: string[] = [];
  for (const channel of channels) lastDataKeys.push(`${channel.key}:last_data`);
  const lastData = lastDataOf(first, lastDataKeys, now, skips);
  const reservedStreams = mget(first, found.reservedStreamKeys, RESERVED_STREAM_KEY, skips);
  const scannedProfiles = found.streamProfileKeys && mget(first, found.streamProfileKeys, STREAM_PROFILE_KEY, skips);
  if (found.mode === 'direct') vodWalk.page(first);
  await first.run(redis);
  const vodFound = present(vod);
  const vodSessions = idsAndFields(vodFound);
  onChannelSet?.(channelSet(channels, vodSessions, reservedStreams.get()));

  // Client hashes are named by the set members, so they can only be asked for once the first batch is back.
  const second = new Batch();
  const clients = queueClients(second, channels, skips);
  const streamProfiles = scannedProfiles ?? mget(second, streamProfileKeys(channels, reservedStreams.get()), STREAM_PROFILE_KEY, skips);
  await second.run(redis);

  const live = liveChannels(channels, clients, lastData.get(), checks);
  for (const { key, fields } of vod) if (!fields.get()) vodWalk.forget(key);
  for (const session of vodFound) checkFields(VOD_KINDS, session.fields, session.key, now, skips);
  return {
    channels: live,
    vodSessions,
    reservedStreams: reservedStreams.get(),
    streamProfiles: streamProfiles.get(),
    roundTrips: redis.roundTrips - startTrips,
    discovery: { mode: found.mode, keyspace: found.keyspace },
  };
}
