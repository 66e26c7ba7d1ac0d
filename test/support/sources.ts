/** The exporter's own sources over a seeded test database and a Redis database of the test server, for in-process tests. */
import { silentLogger } from '../../src/log.js';
import type { SnapshotSources } from '../../src/scrape/load-snapshot.js';
import { EventLog } from '../../src/sources/event-log.js';
import { LiveDiscovery } from '../../src/sources/live-discovery.js';
import { PostgresSource, type Queryable } from '../../src/sources/postgres.js';
import { RedisSource } from '../../src/sources/redis.js';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { createTestDatabase, postgresConfig, type SchemaVersion, type TestDatabase } from './database.js';
import { allocateRedisDb, openRedisWriter, redisUrl, type RedisWriter } from './redis.js';

export interface SeededSources {
  readonly db: TestDatabase;
  readonly data: SeededDataset;
  readonly source: PostgresSource;
  /** Writes the Redis database the exporter's source reads. */
  readonly writer: RedisWriter;
  readonly redis: RedisSource;
  close(): Promise<void>;
}

export async function openSeededSources(version: SchemaVersion, label: string): Promise<SeededSources> {
  const db = await createTestDatabase(version, label);
  const data = await seedDataset(db);
  const source = new PostgresSource(postgresConfig(db.url), silentLogger);
  const writer = await openRedisWriter(allocateRedisDb());
  const url = redisUrl();
  const redis = new RedisSource({ host: url.hostname, port: Number(url.port), db: writer.db, tls: false }, silentLogger);
  return {
    db,
    data,
    source,
    writer,
    redis,
    async close() {
      redis.close();
      writer.close();
      await source.close();
      await db.drop();
    },
  };
}

/** What loadSnapshot reads from; state kept across collections (discovery, event counts) is fresh unless given. */
export function snapshotSources(
  db: Queryable,
  redis: RedisSource,
  state: { liveDiscovery?: LiveDiscovery; eventLog?: EventLog } = {},
): SnapshotSources {
  return {
    db,
    redis,
    dispatcharrVersion: async () => '0.29.0',
    liveDiscovery: state.liveDiscovery ?? new LiveDiscovery(),
    eventLog: state.eventLog ?? new EventLog(),
  };
}
