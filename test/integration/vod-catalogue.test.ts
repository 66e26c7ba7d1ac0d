/** The VOD catalogue statement against real PostgreSQL with the Dispatcharr v0.15 and v0.29 schemas. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { LiveState, VodSession } from '../../src/snapshot.js';
import type { VodContent } from '../../src/snapshot-vod.js';
import { readVodCatalogue } from '../../src/sources/dispatcharr-vod.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { VOD_EPISODE, VOD_MOVIE } from '../fixtures/vod-dataset.js';
import { createTestDatabase, postgresConfig, type SchemaVersion, type TestDatabase } from '../support/database.js';
import { counting } from '../support/queries.js';

function liveState(vodSessions: readonly VodSession[]): LiveState {
  return { channels: [], vodSessions, reservedStreams: {}, streamProfiles: {}, roundTrips: 0, discovery: { mode: 'scan', keyspace: 0 } };
}

/** A streaming session (one open response) of `type` content `uuid` on M3U profile `profile`. */
function session(id: string, type: string, uuid: string, profile: string | undefined, activeStreams = '1'): VodSession {
  return {
    id,
    fields: {
      active_streams: activeStreams,
      content_obj_type: type,
      content_uuid: uuid,
      ...(profile !== undefined && { m3u_profile_id: profile }),
    },
  };
}

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  describe(`VOD catalogue against the Dispatcharr ${version} schema`, () => {
    let db: TestDatabase;
    let data: SeededDataset;
    let source: PostgresSource;
    let found: Map<string, VodContent>;
    let statements = 0;
    const odd = { uuid: '', hugeUuid: '' };

    before(async () => {
      db = await createTestDatabase(version, 'vodcatalogue');
      data = await seedDataset(db);
      source = new PostgresSource(postgresConfig(db.url), silentLogger);
      // Timestamps and other NOT NULL columns the tests do not care about are filled in by db.insert.
      // A later relation of Provider A to the same movie: Dispatcharr's VOD proxy takes the lowest id, and so do we.
      const later = await db.insert('vod_vodcategory', { name: 'Later Relation', category_type: 'movie' });
      await db.insert('vod_m3umovierelation', {
        stream_id: '78',
        m3u_account_id: data.accounts.providerA,
        movie_id: data.vod.movie.id,
        category_id: later,
        custom_properties: { detailed_info: { video: { codec_name: 'mpeg2video', width: 720, height: 576 } } },
      });
      // Provider JSON of every odd shape, and text far beyond the label limits: read as text, never cast.
      odd.uuid = crypto.randomUUID();
      const oddMovie = await db.insert('vod_movie', { uuid: odd.uuid, name: 'Odd JSON' });
      await db.insert('vod_m3umovierelation', {
        stream_id: '900',
        m3u_account_id: data.accounts.providerB,
        movie_id: oddMovie,
        custom_properties: { detailed_info: { video: { codec_name: 'c'.repeat(300), width: '1920px', height: { nested: true } } } },
      });
      odd.hugeUuid = crypto.randomUUID();
      const huge = await db.insert('vod_movie', { uuid: odd.hugeUuid, name: 'Huge', description: '📺'.repeat(30_000) });
      await db.insert('vod_m3umovierelation', {
        stream_id: '901',
        m3u_account_id: data.accounts.providerB,
        movie_id: huge,
        custom_properties: { detailed_info: ['not', 'an', 'object'] },
      });

      const { movie, episode } = data.vod;
      const p = data.profiles;
      const counter = counting(source);
      const all = await readVodCatalogue(
        counter,
        liveState([
          session('movie-a', 'movie', movie.uuid, p.aBackup),
          session('movie-b', 'movie', movie.uuid.toUpperCase(), ` ${p.bDefault} `),
          session('movie-no-profile', 'movie', movie.uuid, undefined),
          session('movie-unknown-profile', 'movie', movie.uuid, '999999'),
          session('movie-old-provider', 'movie', movie.uuid, p.oldDefault),
          session('episode-b', 'episode', episode.uuid, p.bDefault),
          session('episode-a', 'episode', episode.uuid, p.aDefault, '2'),
          session('odd', 'movie', odd.uuid, p.bDefault),
          session('huge', 'movie', odd.hugeUuid, p.bDefault),
          session('not-in-catalogue', 'movie', crypto.randomUUID(), p.aDefault),
          session('wrong-kind', 'episode', movie.uuid, p.aDefault),
          session('bad-uuid', 'movie', `${movie.uuid}'; DROP TABLE vod_movie; --`, p.aDefault),
          session('bad-profile', 'movie', movie.uuid, '1e3'),
          session('idle', 'movie', movie.uuid, p.aDefault, '0'),
        ]),
      );
      statements = counter.statements;
      found = new Map(all.map((c) => [c.sessionId, c]));
    });
    after(async () => {
      await source.close();
      await db.drop();
    });

    test('one statement for every streaming session', () => {
      assert.equal(statements, 1);
    });

    test("a movie with the category and video details of the relation of the session's account", () => {
      const common = {
        kind: 'movie',
        name: VOD_MOVIE.name,
        year: VOD_MOVIE.year,
        genre: VOD_MOVIE.genre,
        description: VOD_MOVIE.description,
        durationSecs: VOD_MOVIE.durationSecs,
        logoId: data.vod.movie.logoId,
      };
      const a = VOD_MOVIE.providerA;
      assert.deepEqual(found.get('movie-a'), {
        ...common,
        sessionId: 'movie-a',
        category: a.category,
        videoCodec: a.codec,
        videoWidth: String(a.width),
        videoHeight: String(a.height),
      });
      const b = VOD_MOVIE.providerB;
      assert.deepEqual(found.get('movie-b'), {
        ...common,
        sessionId: 'movie-b',
        category: b.category,
        videoCodec: b.codec,
        videoWidth: String(b.width),
        videoHeight: String(b.height),
      });
    });

    test('without a known profile, or for an account that does not offer it, the content has no category or video details', () => {
      for (const id of ['movie-no-profile', 'movie-unknown-profile', 'movie-old-provider', 'bad-profile']) {
        const c = found.get(id);
        assert.equal(c?.kind === 'movie' && c.name, VOD_MOVIE.name, id);
        assert.equal(c?.category, null, id);
        assert.equal(c?.kind === 'movie' && c.videoCodec, null, id);
      }
    });

    test("an episode with its series, and the category of the series' relation of the session's account", () => {
      const common = {
        kind: 'episode',
        name: VOD_EPISODE.name,
        description: VOD_EPISODE.description,
        durationSecs: VOD_EPISODE.durationSecs,
        logoId: data.vod.episode.seriesLogoId,
        seasonNumber: VOD_EPISODE.season,
        episodeNumber: VOD_EPISODE.episode,
        seriesName: VOD_EPISODE.series,
      };
      assert.deepEqual(found.get('episode-b'), { ...common, sessionId: 'episode-b', category: VOD_EPISODE.providerB.category });
      assert.deepEqual(found.get('episode-a'), { ...common, sessionId: 'episode-a', category: VOD_EPISODE.providerA.category });
    });

    test("the provider's JSON is read as text whatever its shape; long texts only one character beyond the label limit", () => {
      const oddMovie = found.get('odd');
      assert.equal(oddMovie?.kind, 'movie');
      if (oddMovie?.kind !== 'movie') return;
      assert.equal(oddMovie.videoCodec, 'c'.repeat(64));
      assert.equal(oddMovie.videoWidth, '1920px');
      assert.equal(oddMovie.videoHeight, '{"nested": true}');
      assert.equal(oddMovie.category, null);
      const huge = found.get('huge');
      assert.equal(huge?.description, '📺'.repeat(501));
      assert.equal(huge?.kind === 'movie' && huge.videoCodec, null);
    });

    test('content not in the catalogue, of the wrong kind, with a malformed uuid or without an open response gives nothing', () => {
      for (const id of ['not-in-catalogue', 'wrong-kind', 'bad-uuid', 'idle']) assert.equal(found.has(id), false, id);
      assert.equal(found.size, 10);
    });

    test('no statement when no VOD session has an open response', async () => {
      const counter = counting(source);
      const idle = liveState([session('idle', 'movie', data.vod.movie.uuid, data.profiles.aDefault, '0'), { id: 'empty', fields: {} }]);
      assert.deepEqual(await readVodCatalogue(counter, idle), []);
      assert.deepEqual(await readVodCatalogue(counter, liveState([])), []);
      assert.equal(counter.statements, 0);
    });
  });
}
