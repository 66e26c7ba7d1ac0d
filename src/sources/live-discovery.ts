/**
 * Finds the live proxy's keys by the cheaper of two routes, chosen in every scrape from the sizes at hand:
 * - scan: walk the whole keyspace (SCAN), at a cost that follows the number of keys, Dispatcharr's or not;
 * - direct: ask whether the metadata key of each channel the database knows exists (EXISTS, one pipeline), at a cost
 *   that follows the number of channels, and find VOD sessions with a walk carried over from scrape to scrape.
 * DBSIZE (constant time) says how large the keyspace is; the schema-level statement counts the channels.
 */
import type { SkipRecorder } from '../skips.js';
import { UUID } from './field-checks.js';
import { PreparedPipeline, type RedisSource } from './redis.js';
import { VOD_KEY_PREFIX, VodKeyWalk } from './vod-key-walk.js';

export type KeyPrefix = 'live:' | 'ts_proxy:';
export type DiscoveryMode = 'scan' | 'direct';

/**
 * Measured on loopback (5,000 and 20,000 channels, 20,000 to 400,000 keys): asking after a channel costs about what walking a key
 * costs (2.5 to 4 µs each, client and server), and the direct route also walks one page of the VOD walk per scrape
 * (about 10,000 keys) and takes a round trip more. So the keyspace is walked unless it holds more than 20,000 keys
 * plus one per channel, which leaves the direct route that margin.
 */
const DIRECT_FIXED_KEYS = 20_000;
const KEYS_PER_CHANNEL = 1;
/** How long the choice waits for the database before walking the keyspace instead. */
const CATALOGUE_WAIT_MS = 1_000;
/** The channel list is read again when the set's fingerprint changes, and at least this often. */
const CHANNEL_LIST_MAX_AGE_MS = 10 * 60_000;

/** A stream preview's channel id: the stream's hash (SHA-256 in hex), not a UUID. */
const STREAM_HASH = /^[0-9a-f]{32,128}$/i;
/** Live proxy prefixes, newest first: a channel seen under both (mid-upgrade) is read from the newer one. */
const PREFIXES: readonly KeyPrefix[] = ['live:', 'ts_proxy:'];
const METADATA_KEY = /^(live:|ts_proxy:)channel:([^:]+):metadata$/;
export const RESERVED_STREAM_KEY = /^channel_stream:(\d+)$/;
export const STREAM_PROFILE_KEY = /^stream_profile:(\d+)$/;

export interface ChannelKey {
  readonly id: string;
  readonly uuid: string;
}

/** What the database tells the choice; each answer is undefined when the database cannot give it in time. */
export interface ChannelCatalogue {
  /** How many channels there are, a fingerprint of the set, and the prefix the running proxy writes its keys under. */
  size(): Promise<{ readonly rows: number; readonly fingerprint: string; readonly prefix: KeyPrefix } | undefined>;
  /** Every channel. */
  list(): Promise<readonly ChannelKey[] | undefined>;
}

export interface Discovered {
  readonly mode: DiscoveryMode;
  /** Keys in the Redis database (DBSIZE). */
  readonly keyspace: number;
  /** Live channels by UUID: the prefix of their metadata key. */
  readonly metadataKeys: ReadonlyMap<string, KeyPrefix>;
  /** `channel_stream:<channel id>` keys to read. */
  readonly reservedStreamKeys: readonly string[];
  /** `stream_profile:<stream id>` keys to read; in direct mode they follow from the channels' streams instead. */
  readonly streamProfileKeys?: readonly string[];
}

/**
 * Sorts the key names of one walk into what the exporter reads. Stream previews (keyed by a hash, not a UUID) are
 * ignored; a channel id that is neither is recorded as malformed.
 */
export function classifyKeys(keys: readonly string[], skips?: SkipRecorder) {
  const metadataKeys = new Map<string, KeyPrefix>();
  const vodKeys: string[] = [];
  const reservedStreamKeys: string[] = [];
  const streamProfileKeys: string[] = [];
  for (const key of keys) {
    const metadata = METADATA_KEY.exec(key);
    if (metadata) {
      const prefix = metadata[1] as KeyPrefix;
      const cid = metadata[2] ?? '';
      if (!UUID.test(cid)) {
        if (!STREAM_HASH.test(cid)) skips?.add({ source: 'redis', reason: 'not_a_uuid', key });
        continue;
      }
      const uuid = cid.toLowerCase();
      const known = metadataKeys.get(uuid);
      if (!known || PREFIXES.indexOf(prefix) < PREFIXES.indexOf(known)) metadataKeys.set(uuid, prefix);
    } else if (key.startsWith(VOD_KEY_PREFIX)) vodKeys.push(key);
    else if (RESERVED_STREAM_KEY.test(key)) reservedStreamKeys.push(key);
    else if (STREAM_PROFILE_KEY.test(key)) streamProfileKeys.push(key);
  }
  for (const list of [vodKeys, reservedStreamKeys, streamProfileKeys]) list.sort();
  return {
    metadataKeys: new Map([...metadataKeys].sort(byFirst)),
    vodKeys,
    reservedStreamKeys,
    streamProfileKeys,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byFirst(a: readonly [string, unknown], b: readonly [string, unknown]): number {
  return compareText(a[0], b[0]);
}

function byUuid(a: ChannelKey, b: ChannelKey): number {
  return compareText(a.uuid, b.uuid);
}

/** The channels whose probe found their metadata key (EXISTS replied 1), with lower-case UUIDs, sorted by them. */
function liveChannelKeys(channels: readonly ChannelKey[], replies: readonly unknown[]): ChannelKey[] {
  const live: ChannelKey[] = [];
  for (let i = 0; i < channels.length; i++) {
    const { id, uuid } = channels[i] as ChannelKey;
    if (replies[i] === 1) live.push({ id, uuid: uuid.toLowerCase() });
  }
  return live.sort(byUuid);
}

/** Resolves to the promise's value, or to undefined when it fails or takes longer than `ms`. */
function within<T>(promise: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

type Redis = Pick<RedisSource, 'scanAll' | 'pipeline'>;

/** The route chosen per scrape, and the VOD walk that lives from scrape to scrape. */
export class LiveDiscovery {
  readonly vod = new VodKeyWalk();

  /** The channels last read from the database, with their EXISTS probes encoded once for as long as the set holds. */
  private probe:
    | { readonly key: string; readonly channels: readonly ChannelKey[]; readonly exists: PreparedPipeline; readonly at: number }
    | undefined;

  async discover(redis: Redis, catalogue: ChannelCatalogue | undefined, skips: SkipRecorder): Promise<Discovered> {
    const [reply] = await redis.pipeline([['DBSIZE']]);
    const keyspace = typeof reply === 'number' ? reply : 0;
    if (catalogue && keyspace > DIRECT_FIXED_KEYS) {
      const size = await within(catalogue.size(), CATALOGUE_WAIT_MS);
      if (size && keyspace > DIRECT_FIXED_KEYS + size.rows * KEYS_PER_CHANNEL) {
        const probe = await this.probeFor(catalogue, `${size.prefix} ${size.fingerprint}`, size.prefix);
        if (probe) return this.direct(redis, keyspace, size.prefix, probe);
      }
    }
    return this.scan(redis, keyspace, skips);
  }

  /** The database's channels and their probes, read and encoded again only when the set changed (or grew old). */
  private async probeFor(catalogue: ChannelCatalogue, key: string, prefix: KeyPrefix) {
    const now = Date.now();
    const kept = this.probe;
    if (kept && kept.key === key && now - kept.at < CHANNEL_LIST_MAX_AGE_MS) return kept;
    const channels = await within(catalogue.list(), CATALOGUE_WAIT_MS);
    if (!channels) return undefined;
    const exists = PreparedPipeline.of(channels.map(({ uuid }) => ['EXISTS', `${prefix}channel:${uuid.toLowerCase()}:metadata`]));
    this.probe = { key, channels, exists, at: now };
    return this.probe;
  }

  private async scan(redis: Redis, keyspace: number, skips: SkipRecorder): Promise<Discovered> {
    const found = classifyKeys(await redis.scanAll(), skips);
    this.vod.replace(found.vodKeys);
    return { mode: 'scan', keyspace, ...found };
  }

  private async direct(
    redis: Redis,
    keyspace: number,
    prefix: KeyPrefix,
    probe: { readonly channels: readonly ChannelKey[]; readonly exists: PreparedPipeline },
  ): Promise<Discovered> {
    await this.vod.completeOnce(redis);
    const replies = await redis.pipeline(probe.exists);
    const metadataKeys = new Map<string, KeyPrefix>();
    const reservedStreamKeys: string[] = [];
    for (const { id, uuid } of liveChannelKeys(probe.channels, replies)) {
      metadataKeys.set(uuid, prefix);
      reservedStreamKeys.push(`channel_stream:${id}`);
    }
    return { mode: 'direct', keyspace, metadataKeys, reservedStreamKeys };
  }
}
