/** Reads the parts of one snapshot from the sources, each under the scrape deadline. */
import type { Part, PartName, Parts, SchemaLevel, Snapshot } from '../snapshot.js';
import {
  readChannelCounts,
  readEpgSources,
  readM3uAccounts,
  readProfiles,
  readSchemaLevel,
} from '../sources/dispatcharr-db.js';
import type { Queryable } from '../sources/postgres.js';
import { withDeadline } from './deadline.js';

export interface SnapshotSources {
  readonly db: Queryable;
  readonly dispatcharrVersion: () => Promise<string>;
}

type DatabaseReader<K extends PartName> = (db: Queryable, level: SchemaLevel) => Promise<Parts[K]>;

const DATABASE_READERS: { readonly [K in Exclude<PartName, 'database'>]: DatabaseReader<K> } = {
  m3uAccounts: (db) => readM3uAccounts(db),
  epgSources: (db) => readEpgSources(db),
  channelCounts: (db) => readChannelCounts(db),
  profiles: (db, level) => readProfiles(db, level),
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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
  const parts: { [K in PartName]?: Part<Parts[K]> } = {};

  const database = await timed(() => withDeadline(readSchemaLevel(sources.db), deadline, 'schema level'));
  parts.database = database;
  const pending: Promise<void>[] = [];
  for (const name of Object.keys(DATABASE_READERS) as Exclude<PartName, 'database'>[]) {
    if (!needs.has(name)) continue;
    if (!database.ok) {
      (parts as Record<string, Part<unknown>>)[name] = { ok: false, error: `database unavailable: ${database.error}`, seconds: 0 };
      continue;
    }
    const reader = DATABASE_READERS[name] as DatabaseReader<typeof name>;
    pending.push(
      timed(() => withDeadline(reader(sources.db, database.value), deadline, name)).then((part) => {
        (parts as Record<string, Part<unknown>>)[name] = part;
      }),
    );
  }
  await Promise.all(pending);
  return { time, dispatcharrVersion: await version, parts };
}
