/**
 * The three datasets, each the tests' own (seedDataset and the live scenario on the 'live:' prefix of v0.29) plus
 * bulk rows and keys: small (2 active providers, 100 channels, 3 live, 5 clients), large (50 more providers with
 * 150 profiles, 20,000 channels, 300,000 streams, 20 EPG sources, 500 live channels, 3,000 clients, 200 VOD
 * sessions, 150,000 buffer chunks) and huge (large plus 1,000,000 keys of other programs).
 */
import { type BulkSizes, seedBulk } from '../../test/fixtures/bulk-dataset.js';
import { persistAllKeys, writeUnrelatedKeys } from '../../test/fixtures/bulk-writer.js';
import { seedDataset } from '../../test/fixtures/dataset.js';
import { writeLiveScenario } from '../../test/fixtures/live-scenario.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { openRedisWriter } from '../../test/support/redis.js';
import { countKeys, countRows } from './dataset-facts.js';
import { type LiveLoad, writeLiveLoad } from './live-load.js';
import type { DatasetName } from './options.js';
import type { DatasetFacts } from './results.js';

interface DatasetSpec {
  readonly description: string;
  readonly bulk: BulkSizes;
  readonly live: LiveLoad;
  readonly unrelatedKeys: number;
}

const NO_BULK: BulkSizes = {
  accounts: 0,
  profilesPerAccount: 0,
  channels: 0,
  streams: 0,
  streamsPerChannel: 0,
  groups: 0,
  epgSources: 0,
  programmesPerChannel: 0,
  channelProfiles: 0,
  users: 0,
  movies: 0,
  series: 0,
  episodesPerSeries: 0,
};

const LARGE: DatasetSpec = {
  description:
    'the tests’ dataset and live scenario plus 50 providers with 150 profiles, 20,000 channels (3 streams each, in 200 groups and 2 ' +
    'channel profiles), 300,000 streams, 20 EPG sources with 12 programmes per channel, 50 users, 1,000 movies and 200 episodes; ' +
    'in Redis 500 more live channels with 6 clients and 300 buffer chunks each, and 200 VOD sessions',
  bulk: {
    accounts: 50,
    profilesPerAccount: 3,
    channels: 20_000,
    streams: 300_000,
    streamsPerChannel: 3,
    groups: 200,
    epgSources: 20,
    programmesPerChannel: 12,
    channelProfiles: 2,
    users: 50,
    movies: 1_000,
    series: 20,
    episodesPerSeries: 10,
  },
  live: { channels: 500, clientsPerChannel: 6, chunksPerChannel: 300, vodSessions: 200 },
  unrelatedKeys: 0,
};

export const DATASETS: Readonly<Record<DatasetName, DatasetSpec>> = {
  small: {
    description:
      'the tests’ dataset (seedDataset: Providers A and B active, three more accounts inactive or built in) and live scenario ' +
      '(3 live channels, 5 clients of which one a ghost, 3 VOD sessions), plus 96 channels with 3 streams each',
    bulk: { ...NO_BULK, channels: 96, streams: 288, streamsPerChannel: 3 },
    live: { channels: 0, clientsPerChannel: 0, chunksPerChannel: 0, vodSessions: 0 },
    unrelatedKeys: 0,
  },
  large: LARGE,
  huge: {
    ...LARGE,
    description: 'large plus 1,000,000 unrelated keys (Celery results, Django cache, Channels groups)',
    unrelatedKeys: 1_000_000,
  },
};

export interface BuiltDataset {
  readonly name: DatasetName;
  readonly db: TestDatabase;
  readonly redisDb: number;
  facts: DatasetFacts;
}

async function describe(built: Omit<BuiltDataset, 'facts'>, setupSeconds: number): Promise<DatasetFacts> {
  const redis = await openRedisWriter(built.redisDb, { flush: false });
  try {
    return {
      name: built.name,
      description: DATASETS[built.name].description,
      rows: await countRows(built.db),
      keys: await countKeys(redis),
      setupSeconds,
    };
  } finally {
    redis.close();
  }
}

/** Writes a dataset into a new database and Redis database `redisDb` (emptied first). */
export async function buildDataset(name: DatasetName, redisDb: number, log: (line: string) => void): Promise<BuiltDataset> {
  const spec = DATASETS[name];
  const started = performance.now();
  const db = await createTestDatabase('v0.29', `bench_${name}`);
  const base = await seedDataset(db);
  log(`  PostgreSQL rows`);
  const content = await seedBulk(db, base, spec.bulk);
  const redis = await openRedisWriter(redisDb);
  try {
    log(`  Redis keys`);
    await writeLiveScenario(redis, 'live:', base, true);
    await writeLiveLoad(redis, db, base, content, spec.live);
    // Dispatcharr refreshes these TTLs while channels play; a run of many minutes must not see them expire.
    await persistAllKeys(redis);
    if (spec.unrelatedKeys > 0) await writeUnrelatedKeys(redis, spec.unrelatedKeys);
  } finally {
    redis.close();
  }
  const built = { name, db, redisDb };
  return { ...built, facts: await describe(built, (performance.now() - started) / 1000) };
}

/** Turns a built large dataset into huge: the same rows and live keys, plus the unrelated keys. */
export async function growToHuge(large: BuiltDataset): Promise<BuiltDataset> {
  const started = performance.now();
  const redis = await openRedisWriter(large.redisDb, { flush: false });
  try {
    await writeUnrelatedKeys(redis, DATASETS.huge.unrelatedKeys);
  } finally {
    redis.close();
  }
  const built = { name: 'huge' as const, db: large.db, redisDb: large.redisDb };
  return { ...built, facts: await describe(built, (performance.now() - started) / 1000) };
}
