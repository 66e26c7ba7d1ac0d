/** Reads the parts of one snapshot from the sources, each under the scrape deadline. */
import type { LiveState, Part, PartName, Parts, SchemaLevel, Snapshot } from '../snapshot.js';
import { readChannelCounts, readEpgSources, readM3uAccounts, readProfiles, readSchemaLevel } from '../sources/dispatcharr-db.js';
import { readLiveChannels, readUsernames } from '../sources/dispatcharr-live-db.js';
import { readProgrammes } from '../sources/dispatcharr-programmes.js';
import { readLiveState } from '../sources/dispatcharr-redis.js';
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
}

type DatabasePart = Exclude<PartName, 'database' | 'live'>;
type DatabaseReader<K extends DatabasePart> = (
  db: Queryable,
  level: SchemaLevel,
  live: LiveState | undefined,
  /** The snapshot's time, epoch seconds. */
  time: number,
) => Promise<Parts[K]>;

const DATABASE_READERS: { readonly [K in DatabasePart]: DatabaseReader<K> } = {
  m3uAccounts: (db) => readM3uAccounts(db),
  epgSources: (db) => readEpgSources(db),
  channelCounts: (db, level) => readChannelCounts(db, level),
  profiles: (db, level) => readProfiles(db, level),
  liveJoin: async (db, level, live) => {
    if (!live) throw new Error('live state unavailable');
    const [channels, usernames] = await Promise.all([readLiveChannels(db, level, live), readUsernames(db, live)]);
    return { channels, usernames };
  },
  programmes: (db, level, live, time) => {
    if (!live) throw new Error('live state unavailable');
    return readProgrammes(db, level, live, time);
  },
  users: (db, level) => readUsers(db, level),
  vodCatalogue: (db, _level, live) => {
    if (!live) throw new Error('live state unavailable');
    return readVodCatalogue(db, live);
  },
};

/** Database parts that also need the live state from Redis. */
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

export async function loadSnapshot(sources: SnapshotSources, needs: ReadonlySet<PartName>, deadline: number): Promise<Snapshot> {
  const time = Date.now() / 1000;
  const version = withDeadline(sources.dispatcharrVersion(), deadline, 'Dispatcharr version').catch(() => 'unknown');
  const parts: { -readonly [K in PartName]?: Part<Parts[K]> } = {};
  const set = <K extends PartName>(name: K, part: Part<Parts[K]>) => {
    (parts as Record<string, unknown>)[name] = part;
  };

  const wantsLive = needs.has('live') || [...NEEDS_LIVE].some((name) => needs.has(name));
  const [database, live] = await Promise.all([
    timed(() => withDeadline(readSchemaLevel(sources.db), deadline, 'schema level')),
    wantsLive ? timed(() => withDeadline(readLiveState(sources.redis), deadline, 'live state')) : Promise.resolve(undefined),
  ]);
  set('database', database);
  if (live) {
    set('live', live);
    // A read cut short leaves replies in flight; a fresh connection keeps the next scrape's replies in order.
    if (!live.ok) sources.redis.drop();
  }

  const pending: Promise<void>[] = [];
  for (const name of Object.keys(DATABASE_READERS) as DatabasePart[]) {
    if (!needs.has(name)) continue;
    if (!database.ok) {
      set(name, { ok: false, error: `database unavailable: ${database.error}`, seconds: 0 });
      continue;
    }
    if (NEEDS_LIVE.has(name) && !live?.ok) {
      set(name, { ok: false, error: `Redis unavailable: ${live && !live.ok ? live.error : 'not read'}`, seconds: 0 });
      continue;
    }
    const reader = DATABASE_READERS[name] as DatabaseReader<typeof name>;
    const liveState = live?.ok ? live.value : undefined;
    pending.push(
      timed(() => withDeadline(reader(sources.db, database.value, liveState, time), deadline, name)).then((part) => set(name, part)),
    );
  }
  await Promise.all(pending);
  return { time, dispatcharrVersion: await version, parts };
}
