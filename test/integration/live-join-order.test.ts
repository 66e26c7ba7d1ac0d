/**
 * The database reads that join the live channels without their clients (the programmes on air, the VOD catalogue, the
 * live channels' own statement when their metadata names their M3U profiles) start once the first batch of live reads
 * has found the channels, not after the clients' hashes: on real PostgreSQL and Redis, the batch that reads the clients
 * is held back until the programmes and the catalogue have arrived, and they arrive first, the same as in a collection
 * nothing holds back. A channel whose metadata names no M3U profile makes the channels' statement wait for the
 * `stream_profile:` keys, its fallback. The usernames the clients carry wait for the clients, unless the users part is
 * read in the same collection: they come from it then, with no statement of their own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCollection } from '../../src/scrape/load-snapshot.js';
import type { LiveChannelRow, PartName, Snapshot } from '../../src/snapshot.js';
import type { Queryable } from '../../src/sources/postgres.js';
import type { RedisSource } from '../../src/sources/redis.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { openSeededSources, type SeededSources, snapshotSources } from '../support/sources.js';

/** Longest the held-back batch waits: a collection that reads the programmes only after the clients gets them then. */
const HOLD_LIMIT_MS = 3_000;
const NEEDS: ReadonlySet<PartName> = new Set(['live', 'liveJoin', 'programmes', 'vodCatalogue']);
const WITH_USERS: ReadonlySet<PartName> = new Set([...NEEDS, 'users']);
/** Only the users part's statement reads this column. */
const USERS_STATEMENT = 'extract(epoch FROM u.date_joined)';

/**
 * The source with every pipeline that reads a client hash sent only once `release` settles (or the limit passes);
 * `events` hears `clients sent` when it goes.
 */
function holdingClientReads(redis: RedisSource, release: Promise<void>, events: string[]): RedisSource {
  const held = Object.create(redis) as RedisSource;
  held.pipeline = async (commands) => {
    const list = Array.isArray(commands) ? (commands as readonly (readonly string[])[]) : [];
    if (list.some((command) => command[0] === 'HMGET' && command[1]?.includes(':clients:'))) {
      await Promise.race([release, new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS))]);
      events.push('clients sent');
    }
    return redis.pipeline(commands);
  };
  return held;
}

/**
 * The database, with `events` hearing when the live channels' statement and the usernames' statement go; `failUsers`:
 * the users part's statement fails.
 */
function watchingStatements(db: Queryable, events: string[], failUsers: boolean): Queryable {
  return {
    query: (sql, params) => {
      if (sql.includes('FROM unnest($1::uuid[]')) events.push('channels statement sent');
      if (sql.includes('FROM accounts_user WHERE id = ANY')) events.push('usernames statement sent');
      if (failUsers && sql.includes(USERS_STATEMENT)) return Promise.reject(new Error('users unavailable'));
      return db.query(sql, params);
    },
  } as Queryable;
}

interface HoldOptions {
  readonly needs?: ReadonlySet<PartName>;
  /** The parts whose arrival releases the clients' batch. */
  readonly until?: readonly PartName[];
  /** The users part's statement fails. */
  readonly failUsers?: boolean;
}

/**
 * A collection whose clients' batch is held back until the programmes and the VOD catalogue (or the parts `until`
 * names) have been read: `order` is the order its parts arrived in, `events` when the clients' batch and the
 * statements went.
 */
async function collectHoldingClients(
  opened: SeededSources,
  { needs = NEEDS, until = ['programmes', 'vodCatalogue'], failUsers = false }: HoldOptions = {},
): Promise<{ held: Snapshot; order: string[]; events: string[] }> {
  let joinsRead: () => void = () => undefined;
  const release = new Promise<void>((resolve) => {
    joinsRead = resolve;
  });
  const events: string[] = [];
  const sources = snapshotSources(watchingStatements(opened.source, events, failUsers), holdingClientReads(opened.redis, release, events));
  const collection = startCollection(sources, needs, Date.now() + 10_000);
  const order: string[] = [];
  collection.onPart?.((soFar) => {
    for (const name of Object.keys(soFar.parts)) if (!order.includes(name)) order.push(name);
    if (until.every((name) => name in soFar.parts)) joinsRead();
  });
  return { held: await collection.done, order, events };
}

/** A collection nothing holds back. */
function collectFreely(opened: SeededSources, needs = NEEDS): Promise<Snapshot> {
  return startCollection(snapshotSources(opened.source, opened.redis), needs, Date.now() + 10_000).done;
}

function partValue(snapshot: Snapshot, name: PartName): unknown {
  const part = snapshot.parts[name];
  if (!part?.ok) throw new Error(`${name} not read: ${part && !part.ok ? part.error : 'missing'}`);
  return part.value;
}

describe('the reads that join the live channels start before the clients are read', () => {
  let opened: SeededSources;

  before(async () => {
    opened = await openSeededSources('v0.29', 'live_join_order');
    await writeLiveScenario(opened.writer, 'live:', opened.data, true);
  });
  after(() => opened.close());

  test('programmes and the VOD catalogue arrive while the clients are held back, and match an unhindered collection', async () => {
    const { held, order, events } = await collectHoldingClients(opened);
    assert.ok(order.indexOf('programmes') < order.indexOf('live'), `parts in order ${order.join(', ')}`);
    assert.ok(order.indexOf('vodCatalogue') < order.indexOf('live'), `parts in order ${order.join(', ')}`);
    assert.ok(order.indexOf('liveJoin') > order.indexOf('live'), 'the join waits for the clients (their users)');
    assert.deepEqual(
      events,
      ['channels statement sent', 'clients sent', 'usernames statement sent'],
      'every channel names its profile: its statement goes first; the usernames wait for the clients',
    );

    const free = await collectFreely(opened);
    for (const name of ['programmes', 'vodCatalogue', 'liveJoin'] as const)
      assert.deepEqual(partValue(held, name), partValue(free, name), name);
    // The first collection also opened the connection: one more round trip, the same state.
    const withoutTrips = (snapshot: Snapshot) => ({ ...(partValue(snapshot, 'live') as object), roundTrips: 0 });
    assert.deepEqual(withoutTrips(held), withoutTrips(free));
    assert.ok((partValue(held, 'programmes') as unknown[]).length > 0, 'programmes on air were read');
    assert.ok((partValue(held, 'vodCatalogue') as unknown[]).length > 0, 'the VOD catalogue was read');
  });

  test('a channel whose metadata names no M3U profile: the statement waits for the stream_profile keys and takes its profile from there', async () => {
    const { data, writer } = opened;
    const metadata = `live:channel:${data.channels.sports.uuid}:metadata`;
    // Dispatcharr's reservation key names the backup profile; the metadata no profile at all.
    await writer.run(['HDEL', metadata, 'm3u_profile'], ['SET', `stream_profile:${data.streams.a2}`, data.profiles.aBackup]);
    try {
      const { held, events } = await collectHoldingClients(opened);
      assert.deepEqual(events.slice(0, 2), ['clients sent', 'channels statement sent']);
      const rows = (partValue(held, 'liveJoin') as { channels: LiveChannelRow[] }).channels;
      const sports = rows.find((row) => row.uuid === data.channels.sports.uuid);
      assert.equal(sports?.profileId, data.profiles.aBackup, 'the profile of stream_profile:<stream>');
      assert.equal(sports?.profileName, 'Backup login');
      assert.deepEqual(partValue(held, 'liveJoin'), partValue(await collectFreely(opened), 'liveJoin'));
    } finally {
      await writer.run(
        ['HSET', metadata, 'm3u_profile', data.profiles.aDefault],
        ['SET', `stream_profile:${data.streams.a2}`, data.profiles.aDefault],
      );
    }
  });

  test('with the users part read too, the usernames come from it: the join needs no statement for them, nor the clients', async () => {
    const { data } = opened;
    const { held, order, events } = await collectHoldingClients(opened, {
      needs: WITH_USERS,
      until: ['programmes', 'vodCatalogue', 'liveJoin'],
    });
    assert.deepEqual(events, ['channels statement sent', 'clients sent'], 'no usernames statement');
    assert.ok(order.indexOf('liveJoin') < order.indexOf('live'), `parts in order ${order.join(', ')}`);
    const { usernames } = partValue(held, 'liveJoin') as { usernames: Record<string, string> };
    assert.equal(usernames[data.userId], 'alice', 'the user a client carries');
    // The same names as the statement gives for the users the clients carry.
    const carried = (partValue(await collectFreely(opened), 'liveJoin') as { usernames: Record<string, string> }).usernames;
    assert.deepEqual(Object.keys(carried), [data.userId]);
    for (const [id, name] of Object.entries(carried)) assert.equal(usernames[id], name, id);
  });

  test('when the users part cannot be read, the usernames are asked for as without it', async () => {
    const { held, events } = await collectHoldingClients(opened, { needs: WITH_USERS, failUsers: true });
    assert.equal(held.parts.users?.ok, false, 'the users part failed');
    assert.deepEqual(events, ['channels statement sent', 'clients sent', 'usernames statement sent']);
    assert.deepEqual(partValue(held, 'liveJoin'), partValue(await collectFreely(opened), 'liveJoin'));
  });
});
