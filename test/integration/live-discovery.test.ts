/**
 * Both routes to the live keys, on real PostgreSQL and Redis, on both key prefixes: walking a small keyspace, and
 * asking after the database's channels once unrelated keys make the keyspace large. Whatever the route, the families
 * are the same: a channel with metadata but no clients (Movie Night), a ghost client, a reservation without
 * metadata, a stream preview and the metadata of a channel deleted from the database are all seen alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Settings } from '../../src/config/settings.js';
import { GATES } from '../../src/config/options.js';
import { defaultCollectors, neededParts, runCollectors } from '../../src/collectors/registry.js';
import { renderExposition } from '../../src/exposition/render.js';
import { silentLogger } from '../../src/log.js';
import { loadSnapshot } from '../../src/scrape/load-snapshot.js';
import type { LiveState, Snapshot } from '../../src/snapshot.js';
import { LiveDiscovery } from '../../src/sources/live-discovery.js';
import type { PostgresSource } from '../../src/sources/postgres.js';
import type { RedisSource } from '../../src/sources/redis.js';
import type { SeededDataset } from '../fixtures/dataset.js';
import { writeLiveScenario } from '../fixtures/live-scenario.js';
import { startChannel, startVod } from '../fixtures/redis-writer.js';
import type { SchemaVersion } from '../support/database.js';
import type { RedisWriter } from '../support/redis.js';
import { defaultSettings } from '../support/settings.js';
import { openSeededSources, type SeededSources, snapshotSources } from '../support/sources.js';

/** The scenario's channel whose row was deleted while its proxy keys remain. */
const DELETED = '6f1c2a8e-0000-4000-8000-00000000dead';
const everyGate: Settings = defaultSettings(Object.fromEntries(GATES.map((gate) => [gate, true])) as Partial<Settings>);
const collectors = defaultCollectors({ version: '1.0.0', accessLog: false }).filter((c) => c.name !== 'process');

/** Unrelated keys (Celery results), enough to take the keyspace past what is walked in every scrape. */
async function addUnrelatedKeys(writer: RedisWriter, from: number, count: number): Promise<void> {
  for (let start = from; start < from + count; start += 5_000) {
    const end = Math.min(from + count, start + 5_000);
    const commands = Array.from({ length: end - start }, (_, i) => ['SET', `celery-task-meta-${start + i}`, '{"status": "SUCCESS"}']);
    await writer.run(...commands);
  }
}

function liveOf(snapshot: Snapshot): LiveState {
  const live = snapshot.parts.live;
  if (!live?.ok) throw new Error(`live state not read: ${live && !live.ok ? live.error : 'missing'}`);
  return live.value;
}

/** The exposition of a snapshot as if taken at `time`, so two collections can be compared byte for byte. */
function render(snapshot: Snapshot, time: number): string {
  return renderExposition(runCollectors(collectors, { ...snapshot, time }, everyGate, silentLogger).families);
}

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  const prefix = version === 'v0.29' ? 'live:' : 'ts_proxy:';
  describe(`live-key discovery on the Dispatcharr ${version} schema (${prefix})`, () => {
    let data: SeededDataset;
    let source: PostgresSource;
    let writer: RedisWriter;
    let redis: RedisSource;
    let scanned: Snapshot;
    const collect = (discovery: LiveDiscovery) =>
      loadSnapshot(snapshotSources(source, redis, { liveDiscovery: discovery }), neededParts(collectors, everyGate), Date.now() + 10_000);

    let opened: SeededSources;

    before(async () => {
      opened = await openSeededSources(version, 'discovery');
      ({ data, source, writer, redis } = opened);
      await writeLiveScenario(writer, prefix, data, version === 'v0.29');
    });
    after(() => opened.close());

    test('a small keyspace is walked: every live key is found, the deleted channel too', async () => {
      scanned = await collect(new LiveDiscovery());
      const live = liveOf(scanned);
      assert.equal(live.discovery.mode, 'scan');
      assert.deepEqual(
        live.channels.map((c) => [c.uuid, c.clients.length]),
        [
          [DELETED, 0], // deleted from the database
          [data.channels.news.uuid, 3], // the ghost client is not among them
          [data.channels.sports.uuid, 1],
          [data.channels.movies.uuid, 0], // metadata, no clients
        ].sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
      assert.equal(live.vodSessions.length, 3);
    });

    test('past 20,000 unrelated keys the database is asked, and the families are byte for byte the same', async () => {
      await addUnrelatedKeys(writer, 0, 25_000);
      const direct = await collect(new LiveDiscovery());
      const live = liveOf(direct);
      assert.equal(live.discovery.mode, 'direct');
      assert.ok(live.discovery.keyspace > 25_000);
      const scannedLive = liveOf(scanned);
      // The channel the database no longer knows is not asked after; nothing else differs.
      assert.deepEqual(
        live.channels.map((c) => c.uuid),
        scannedLive.channels.map((c) => c.uuid).filter((uuid) => uuid !== DELETED),
      );
      assert.deepEqual(live.vodSessions, scannedLive.vodSessions);
      const families = render(direct, scanned.time);
      assert.match(families, /dispatcharr_active_streams/);
      assert.equal(families, render(scanned, scanned.time));
    });

    test('the direct route finds a channel as soon as it starts, and its round trips do not grow with the keyspace', async () => {
      const discovery = new LiveDiscovery();
      await collect(discovery);
      const trips = liveOf(await collect(discovery)).roundTrips;
      await startChannel(writer, {
        prefix,
        channelId: data.channels.spare.id,
        uuid: data.channels.spare.uuid,
        streamId: data.streams.custom,
        m3uProfileId: data.profiles.aDefault,
        profileCapped: true,
        streamProfileId: data.streamProfiles.proxy,
        initTime: Date.now() / 1000 - 5,
      });
      await addUnrelatedKeys(writer, 25_000, 25_000);
      const live = liveOf(await collect(discovery));
      assert.equal(live.discovery.mode, 'direct');
      assert.ok(live.channels.some((c) => c.uuid === data.channels.spare.uuid));
      assert.equal(live.roundTrips, trips);
      assert.equal(trips, 4); // DBSIZE, EXISTS, metadata and client sets, client hashes
    });

    test('a VOD session that starts is found by the walk carried over scrapes, and one that ends is gone at once', async () => {
      const discovery = new LiveDiscovery();
      const before = liveOf(await collect(discovery)).vodSessions;
      const id = 'vod_1764000000999_4242';
      await startVod(writer, {
        sessionId: id,
        m3uProfileId: data.profiles.aDefault,
        profileCapped: true,
        activeStreams: 1,
        createdAt: Date.now() / 1000 - 10,
        content: { type: 'movie', uuid: data.vod.movie.uuid, name: 'Late Movie' },
      });
      const keyspace = liveOf(await collect(discovery)).discovery.keyspace;
      // One page of the walk per scrape (SCAN COUNT 10,000: about that many keys, so about that many of the hash
      // table's buckets, a power of two at least the keyspace); a key found in a page is read in the next scrape.
      const buckets = 2 ** Math.ceil(Math.log2(keyspace));
      const bound = Math.ceil(buckets / 10_000) + 1;
      let scrapes = 0;
      while (!liveOf(await collect(discovery)).vodSessions.some((s) => s.id === id)) {
        scrapes++;
        assert.ok(scrapes <= bound, `the new VOD session was not found within ${bound} scrapes (one walk of the keyspace)`);
      }
      await writer.run(['DEL', `vod_persistent_connection:${id}`]);
      assert.deepEqual(
        liveOf(await collect(discovery)).vodSessions.map((s) => s.id),
        before.map((s) => s.id),
      );
    });
  });
}
