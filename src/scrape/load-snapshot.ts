/** Reads the parts of one snapshot from the sources, each under the collection's deadline. */
import { SkipRecorder } from '../skips.js';
import type { LiveChannelSet, LiveState, Part, PartName, Parts, SchemaLevel, Snapshot, User } from '../snapshot.js';
import { readChannelCounts, readEpgSources, readM3uAccounts, readProfiles, readSchemaLevel } from '../sources/dispatcharr-db.js';
import { profilesInMetadata, readLiveChannels, readUsernames, usernamesOf } from '../sources/dispatcharr-live-db.js';
import { readProgrammes } from '../sources/dispatcharr-programmes.js';
import { liveKeyPrefix, readChannelKeys } from '../sources/dispatcharr-channel-keys.js';
import { readLiveState } from '../sources/dispatcharr-redis.js';
import type { EventLog } from '../sources/event-log.js';
import type { ChannelCatalogue, LiveDiscovery } from '../sources/live-discovery.js';
import { readUsers } from '../sources/dispatcharr-users.js';
import { readVodCatalogue } from '../sources/dispatcharr-vod.js';
import type { Queryable } from '../sources/postgres.js';
import type { RedisSource } from '../sources/redis.js';
import { withDeadline } from './deadline.js';
import { errorMessage } from '../error-message.js';

export interface SnapshotSources {
  readonly db: Queryable;
  readonly redis: RedisSource;
  readonly dispatcharrVersion: () => Promise<string>;
  /** Chooses how each collection finds the live keys; it keeps the VOD walk from one collection to the next. */
  readonly liveDiscovery: LiveDiscovery;
  /** Counts Dispatcharr's system events from one collection to the next. */
  readonly eventLog: EventLog;
}

type DatabasePart = Exclude<PartName, 'database' | 'live'>;

/** What a database read that joins the live state gets: the live channels, and the whole live state once it is read. */
interface LiveInput {
  readonly set: LiveChannelSet;
  /** The whole live state (with the clients, the stream profiles); rejects if Redis could not give it. */
  readonly whole: () => Promise<LiveState>;
  /** Every user, when this collection reads the users part too and could; undefined otherwise. */
  readonly users: () => Promise<readonly User[] | undefined>;
}

type DatabaseReader<K extends DatabasePart> = (
  db: Queryable,
  level: SchemaLevel,
  live: LiveInput | undefined,
  /** The snapshot's time, epoch seconds. */
  time: number,
  /** Where the reader reports the malformed values it leaves out. */
  skips: SkipRecorder,
  sources: SnapshotSources,
) => Promise<Parts[K]>;

const DATABASE_READERS: { readonly [K in DatabasePart]: DatabaseReader<K> } = {
  m3uAccounts: (db) => readM3uAccounts(db),
  epgSources: (db) => readEpgSources(db),
  channelCounts: (db, level) => readChannelCounts(db, level),
  profiles: (db, level, _live, _time, skips) => readProfiles(db, level, skips),
  liveJoin: async (db, level, live) => {
    if (!live) throw new Error('live state unavailable');
    // The channels' statement goes out with the live channels when their metadata names their M3U profiles, while the
    // clients are still read from Redis: on a large installation it was the last read of a scrape, sent only once the
    // clients' thousands of hashes were back.
    const channels = profilesInMetadata(live.set.channels)
      ? readLiveChannels(db, level, { ...live.set, streamProfiles: {} })
      : live.whole().then((state) => readLiveChannels(db, level, state));
    // The usernames come with every user when the users part is read (which is early); else they are asked for those
    // the clients carry, once the whole live state is read.
    const usernames = live.users().then((users) => (users ? usernamesOf(users) : live.whole().then((state) => readUsernames(db, state))));
    const [rows, names] = await Promise.all([channels, usernames]);
    return { channels: rows, usernames: names };
  },
  programmes: (db, level, live, time) => {
    if (!live) throw new Error('live state unavailable');
    return readProgrammes(db, level, live.set, time);
  },
  users: (db, level) => readUsers(db, level),
  vodCatalogue: (db, _level, live, _time, skips) => {
    if (!live) throw new Error('live state unavailable');
    return readVodCatalogue(db, live.set, skips);
  },
  events: (db, level, _live, _time, _skips, sources) => sources.eventLog.advance(db, level),
};

/** Database parts that also need the live state from Redis: its channels, read in its first batch. */
const NEEDS_LIVE: ReadonlySet<DatabasePart> = new Set(['liveJoin', 'programmes', 'vodCatalogue']);

async function timed<T>(read: () => Promise<T>): Promise<Part<T>> {
  const started = performance.now();
  try {
    const value = await read();
    return { ok: true, value, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    return { ok: false, error: errorMessage(error), seconds: (performance.now() - started) / 1000 };
  }
}

/** Said of a part a request could not wait for. */
export const NOT_READY = "not ready within this scrape's deadline";

/** A collection in progress: its parts are filled in as they arrive, so a request can answer with what is ready. */
export interface Collection {
  /** Settles when every part has been read or has failed; never rejects. */
  readonly done: Promise<Snapshot>;
  /** The parts ready now; needed parts still being read are marked as not ready. */
  partial(): Snapshot;
  /** Calls `listener` each time a part has been read, with the parts read so far (and no others). */
  onPart?(listener: (soFar: Snapshot) => void): void;
}

/**
 * Starts reading the parts `needs` asks for, each source on its own: the database families start as soon as
 * the schema level is known, whatever Redis does, and only the parts that join the live state wait for Redis.
 */
export function startCollection(sources: SnapshotSources, needs: ReadonlySet<PartName>, deadline: number): Collection {
  const time = Date.now() / 1000;
  const skips = new SkipRecorder();
  let version = 'unknown';
  const versionRead = withDeadline(sources.dispatcharrVersion(), deadline, 'Dispatcharr version')
    .catch(() => 'unknown')
    .then((v) => {
      version = v;
    });
  const parts: { -readonly [K in PartName]?: Part<Parts[K]> } = {};
  const listeners: ((soFar: Snapshot) => void)[] = [];
  const set = <K extends PartName>(name: K, part: Part<Parts[K]>) => {
    (parts as Record<string, unknown>)[name] = part;
    for (const listener of listeners) listener(snapshot());
  };
  const wanted = new Set<PartName>(['database', ...needs]);
  const wantsLive = needs.has('live') || [...NEEDS_LIVE].some((name) => needs.has(name));
  if (wantsLive) wanted.add('live');

  const database = timed(() => withDeadline(readSchemaLevel(sources.db), deadline, 'schema level')).then((part) => {
    set('database', part);
    return part;
  });
  // Asked only when the keyspace is too large to walk; a database that cannot answer leaves the walk.
  const catalogue: ChannelCatalogue = {
    size: async () => {
      const level = await database;
      const table = level.ok ? level.value.channelTable : null;
      return level.ok && table ? { ...table, prefix: liveKeyPrefix(level.value) } : undefined;
    },
    list: async () => ((await database).ok ? withDeadline(readChannelKeys(sources.db), deadline, 'channel keys') : undefined),
  };
  const liveKeys = { discovery: sources.liveDiscovery, catalogue };
  // Settles with the live channels once the first batch of live reads is back, or with nothing if the read ends first.
  let channelsKnown: (set: LiveChannelSet | undefined) => void = () => undefined;
  const liveChannels = new Promise<LiveChannelSet | undefined>((resolve) => {
    channelsKnown = resolve;
  });
  const live = wantsLive
    ? timed(() => withDeadline(readLiveState(sources.redis, { skips, now: time }, liveKeys, channelsKnown), deadline, 'live state')).then(
        (part) => {
          channelsKnown(undefined);
          set('live', part);
          // A read cut short leaves replies in flight; a fresh connection keeps the next scrape's replies in order.
          if (!part.ok) sources.redis.drop();
          return part;
        },
      )
    : Promise.resolve(undefined);
  const redisUnavailableText = (state: Part<LiveState> | undefined): string =>
    `Redis unavailable: ${state && !state.ok ? state.error : 'not read'}`;
  const redisUnavailable = (state: Part<LiveState> | undefined): Part<never> => ({
    ok: false,
    error: redisUnavailableText(state),
    seconds: 0,
  });
  const wholeLive = async (): Promise<LiveState> => {
    const state = await live;
    if (!state?.ok) throw new Error(redisUnavailableText(state));
    return state.value;
  };

  const reading = new Map<DatabasePart, Promise<void>>();
  // Asked for only once the live channels are known, by which time every read has started.
  const knownUsers = async (): Promise<readonly User[] | undefined> => {
    await reading.get('users');
    return parts.users?.ok ? parts.users.value : undefined;
  };

  const read = async (name: DatabasePart): Promise<void> => {
    const level = await database;
    if (!level.ok) return set(name, { ok: false, error: `database unavailable: ${level.error}`, seconds: 0 });
    let liveInput: LiveInput | undefined;
    if (NEEDS_LIVE.has(name)) {
      const channels = await liveChannels;
      if (!channels) return set(name, redisUnavailable(await live));
      liveInput = { set: channels, whole: wholeLive, users: knownUsers };
    }
    const reader = DATABASE_READERS[name] as DatabaseReader<typeof name>;
    set(name, await timed(() => withDeadline(reader(sources.db, level.value, liveInput, time, skips, sources), deadline, name)));
  };
  for (const name of Object.keys(DATABASE_READERS) as DatabasePart[]) if (needs.has(name)) reading.set(name, read(name));
  const readers = [...reading.values()];

  const snapshot = (): Snapshot => ({ time, dispatcharrVersion: version, parts: { ...parts }, skips: skips.list() });
  return {
    done: Promise.all([database, live, versionRead, ...readers]).then(snapshot),
    partial() {
      const now = snapshot();
      const missing: Record<string, Part<unknown>> = {};
      for (const name of wanted) {
        if (!(name in now.parts)) missing[name] = { ok: false, error: NOT_READY, seconds: Date.now() / 1000 - time };
      }
      return { ...now, parts: { ...now.parts, ...missing } };
    },
    onPart(listener) {
      listeners.push(listener);
    },
  };
}

/** Reads a whole snapshot. */
export function loadSnapshot(sources: SnapshotSources, needs: ReadonlySet<PartName>, deadline: number): Promise<Snapshot> {
  return startCollection(sources, needs, deadline).done;
}
