/** The "now playing" statement against real PostgreSQL with the Dispatcharr v0.15 and v0.29 schemas. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { ChannelProgrammes, LiveState, SchemaLevel } from '../../src/snapshot.js';
import { readSchemaLevel } from '../../src/sources/dispatcharr-db.js';
import { readProgrammes } from '../../src/sources/dispatcharr-programmes.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { DAY, NEWS_PROGRAMMES, seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { createTestDatabase, postgresConfig, type SchemaVersion, type TestDatabase } from '../support/database.js';
import { counting } from '../support/queries.js';

const HOUR = 3600;

function liveState(uuids: readonly string[]): LiveState {
  return {
    channels: uuids.map((uuid) => ({ uuid, metadata: {}, clients: [] })),
    vodSessions: [],
    reservedStreams: {},
    streamProfiles: {},
    roundTrips: 0,
    discovery: { mode: 'scan', keyspace: 0 },
  };
}

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  describe(`"now playing" programmes against the Dispatcharr ${version} schema`, () => {
    const v29 = version === 'v0.29';
    let db: TestDatabase;
    let data: SeededDataset;
    let source: PostgresSource;
    let level: SchemaLevel;
    let now: number;
    const uuids: Record<'override' | 'boundaries' | 'farOnly' | 'farNeighbours' | 'huge', string> = {
      override: '',
      boundaries: '',
      farOnly: '',
      farNeighbours: '',
      huge: '',
    };
    let found: Map<string, ChannelProgrammes>;

    before(async () => {
      db = await createTestDatabase(version, 'programmes');
      data = await seedDataset(db);
      now = data.now;
      source = new PostgresSource(postgresConfig(db.url), silentLogger);
      level = await readSchemaLevel(source);
      const epgSource = await db.insert('epg_epgsource', {
        name: 'Guide',
        source_type: 'xmltv',
        status: 'success',
        refresh_interval: 24,
        created_at: new Date(),
        priority: 0,
        is_active: true,
      });
      const guide = (tvgId: string) => db.insert('epg_epgdata', { tvg_id: tvgId, name: tvgId, epg_source_id: epgSource });
      const programme = (epgId: string, from: number, to: number, title: string, extra: Record<string, unknown> = {}) =>
        db.insert('epg_programdata', {
          epg_id: epgId,
          start_time: new Date((now + from) * 1000),
          end_time: new Date((now + to) * 1000),
          title,
          ...extra,
        });
      const channel = async (name: string, epgId: string | null) => {
        const uuid = crypto.randomUUID();
        const id = await db.insert('dispatcharr_channels_channel', {
          name,
          channel_number: 50,
          uuid,
          epg_data_id: epgId,
          user_level: 0,
          auto_created: false,
          created_at: new Date(),
          updated_at: new Date(),
        });
        return { id, uuid };
      };

      // A channel with its own guide, and (v0.25+) an override pointing at another guide, which wins.
      const own = await guide('own.example');
      await programme(own, -HOUR, HOUR, 'Own Current');
      const overridden = await channel('Overridden', own);
      uuids.override = overridden.uuid;
      if (v29) {
        const other = await guide('override.example');
        await programme(other, -HOUR, HOUR, 'Override Current');
        await db.insert('dispatcharr_channels_channeloverride', {
          channel_id: overridden.id,
          epg_data_id: other,
          created_at: new Date(),
          updated_at: new Date(),
        });
      }

      // Boundaries: one programme ends exactly now (previous), one starts exactly now (current, beating a long
      // overlapping one that started earlier), the next starts after a gap.
      const boundaries = await guide('boundaries.example');
      await programme(boundaries, -HOUR, 0, 'Ends Now');
      await programme(boundaries, 0, HOUR, 'Starts Now');
      await programme(boundaries, -2 * HOUR, 2 * HOUR, 'Long Overlap');
      await programme(boundaries, HOUR + 600, 2 * HOUR, 'After A Gap');
      await programme(boundaries, 3 * HOUR, 4 * HOUR, 'Later');
      uuids.boundaries = (await channel('Boundaries', boundaries)).uuid;

      // Only programmes days away: nothing on air.
      const far = await guide('far.example');
      await programme(far, -3 * DAY, -3 * DAY + HOUR, 'Long Ago');
      await programme(far, 3 * DAY, 3 * DAY + HOUR, 'Far Ahead');
      uuids.farOnly = (await channel('Far only', far)).uuid;
      // On air now, but the programmes before and after are days away: outside the window, never picked.
      const lonely = await guide('lonely.example');
      await programme(lonely, -2 * DAY, -2 * DAY + HOUR, 'Two Days Ago');
      await programme(lonely, -60, 60, 'Alone');
      await programme(lonely, 2 * DAY, 2 * DAY + HOUR, 'In Two Days');
      uuids.farNeighbours = (await channel('Far neighbours', lonely)).uuid;

      // Huge texts: only one character beyond each label limit is read (titles are varchar(255)).
      const huge = await guide('huge.example');
      await programme(huge, -60, 60, 'T'.repeat(255), { sub_title: '📺'.repeat(300), description: '📺'.repeat(30_000) });
      uuids.huge = (await channel('Huge', huge)).uuid;

      // Spare shares News One's guide.
      await db.client.query(
        'UPDATE dispatcharr_channels_channel SET epg_data_id = (SELECT epg_data_id FROM dispatcharr_channels_channel WHERE id = $1) WHERE id = $2',
        [data.channels.news.id, data.channels.spare.id],
      );

      const counter = counting(source);
      const live = [data.channels.news, data.channels.sports, data.channels.movies, data.channels.spare].map((c) => c.uuid);
      const all = await readProgrammes(counter, level, liveState([...live, ...Object.values(uuids), crypto.randomUUID()]), now);
      assert.equal(counter.statements, 1, 'one statement for every live channel');
      found = new Map(all.map((p) => [p.uuid, p]));
    });
    after(async () => {
      await source.close();
      await db.drop();
    });

    test('previous, current and next around now; the far-away programme is never picked', () => {
      const news = found.get(data.channels.news.uuid);
      const expected = (p: (typeof NEWS_PROGRAMMES)[keyof typeof NEWS_PROGRAMMES]) => ({
        title: p.title,
        subtitle: p.subtitle,
        description: p.description,
        start: now + p.from,
        end: now + p.to,
      });
      assert.deepEqual(news, {
        uuid: data.channels.news.uuid,
        previous: expected(NEWS_PROGRAMMES.previous),
        current: expected(NEWS_PROGRAMMES.current),
        next: expected(NEWS_PROGRAMMES.next),
      });
      assert.deepEqual(found.get(data.channels.spare.uuid)?.current.title, NEWS_PROGRAMMES.current.title, 'a guide shared by two channels');
    });

    test(v29 ? "the override's EPG entry wins over the channel's" : "the channel's EPG entry (no overrides before v0.25)", () => {
      assert.equal(found.get(uuids.override)?.current.title, v29 ? 'Override Current' : 'Own Current');
    });

    test('start_time <= now < end_time; the latest start wins; previous ends at or before, next starts at or after', () => {
      const p = found.get(uuids.boundaries);
      assert.equal(p?.current.title, 'Starts Now');
      assert.equal(p?.previous?.title, 'Ends Now');
      assert.equal(p?.next?.title, 'After A Gap');
      assert.equal(p?.next?.start, now + HOUR + 600);
    });

    test('programmes more than a day from now are never previous or next', () => {
      const p = found.get(uuids.farNeighbours);
      assert.equal(p?.current.title, 'Alone');
      assert.equal(p?.previous, null);
      assert.equal(p?.next, null);
    });

    test('channels without EPG data, without a programme on air, or not in the database give nothing', () => {
      assert.equal(found.has(data.channels.sports.uuid), false);
      assert.equal(found.has(data.channels.movies.uuid), false);
      assert.equal(found.has(uuids.farOnly), false);
      assert.equal(found.size, 6);
    });

    test('texts are read only one character beyond the label limits, counted in characters', () => {
      const p = found.get(uuids.huge)?.current;
      assert.equal(p?.title, 'T'.repeat(201));
      assert.equal(p?.subtitle, '📺'.repeat(201));
      assert.equal(p?.description, '📺'.repeat(501));
    });

    test('no statement when nothing is live', async () => {
      const counter = counting(source);
      assert.deepEqual(await readProgrammes(counter, level, liveState([]), now), []);
      assert.equal(counter.statements, 0);
    });
  });
}
