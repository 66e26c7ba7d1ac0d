/**
 * The VOD catalogue behind the streaming VOD sessions (v3 layout): one statement, whatever the number of
 * sessions, finds each session's movie, or episode and series, in Dispatcharr's catalogue, and the category and
 * video details of that content's relation with the M3U account of the session's profile. No statement at all
 * when no VOD session has an open response.
 *
 * The tables and every column read exist unchanged from Dispatcharr v0.15 (vod 0003) to v0.29 (vod 0005), so the
 * statement does not depend on the schema level. Values from Redis are validated here and reach SQL only as
 * typed parameters; the provider's JSON is read as text and never cast.
 */
import { parseNumber } from '../collectors/live-view.js';
import { SkipRecorder } from '../skips.js';
import { PROGRAMME_TEXT_LIMITS, type LiveChannelSet } from '../snapshot.js';
import type { VodContent } from '../snapshot-vod.js';
import type { Queryable } from './postgres.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longest codec name and width/height text read from the provider's JSON. */
const CODEC_LIMIT = 64;
const DIMENSION_LIMIT = 16;

interface CatalogueRow {
  n: string;
  kind: 'movie' | 'episode';
  name: string;
  description: string | null;
  duration_secs: number | null;
  logo_id: string | null;
  category: string | null;
  year: number | null;
  genre: string | null;
  video_codec: string | null;
  video_width: string | null;
  video_height: string | null;
  season_number: number | null;
  episode_number: number | null;
  series_name: string | null;
}

/**
 * The statement. `$1` content kinds (`movie`/`episode`), `$2` content uuids, `$3` M3U profile ids (NULL when
 * unknown), one element per session; `$4` how many characters of descriptions to read (one more than the label
 * keeps). Rows come back with the session's 1-based place in those arrays, only for content that exists.
 *
 * The relation is the one Dispatcharr's VOD proxy would pick within the profile's account (lowest id). The video
 * details are where Dispatcharr keeps the provider's answer for a movie, `custom_properties.detailed_info.video`
 * of that relation (filled when the movie's details were fetched); `->` on JSON that is not an object gives NULL.
 */
const STATEMENT = `
  SELECT w.n::text AS n, w.kind,
         COALESCE(m.name, e.name) AS name,
         left(COALESCE(m.description, e.description), $4) AS description,
         COALESCE(m.duration_secs, e.duration_secs) AS duration_secs,
         COALESCE(m.logo_id, s.logo_id)::text AS logo_id,
         COALESCE(mc.name, sc.name) AS category,
         m.year, m.genre,
         left(mr.video ->> 'codec_name', ${CODEC_LIMIT}) AS video_codec,
         left(mr.video ->> 'width', ${DIMENSION_LIMIT}) AS video_width,
         left(mr.video ->> 'height', ${DIMENSION_LIMIT}) AS video_height,
         e.season_number, e.episode_number, s.name AS series_name
    FROM unnest($1::text[], $2::uuid[], $3::bigint[]) WITH ORDINALITY AS w(kind, uuid, profile_id, n)
    LEFT JOIN m3u_m3uaccountprofile p ON p.id = w.profile_id
    LEFT JOIN vod_movie m ON w.kind = 'movie' AND m.uuid = w.uuid
    LEFT JOIN LATERAL (SELECT r.category_id, r.custom_properties -> 'detailed_info' -> 'video' AS video
                         FROM vod_m3umovierelation r
                        WHERE r.movie_id = m.id AND r.m3u_account_id = p.m3u_account_id ORDER BY r.id LIMIT 1) mr ON true
    LEFT JOIN vod_vodcategory mc ON mc.id = mr.category_id
    LEFT JOIN vod_episode e ON w.kind = 'episode' AND e.uuid = w.uuid
    LEFT JOIN vod_series s ON s.id = e.series_id
    LEFT JOIN LATERAL (SELECT r.category_id FROM vod_m3useriesrelation r
                        WHERE r.series_id = s.id AND r.m3u_account_id = p.m3u_account_id ORDER BY r.id LIMIT 1) sr ON true
    LEFT JOIN vod_vodcategory sc ON sc.id = sr.category_id
   WHERE m.id IS NOT NULL OR e.id IS NOT NULL
   ORDER BY w.n`;

interface Wanted {
  readonly sessionId: string;
  readonly kind: 'movie' | 'episode';
  readonly uuid: string;
  readonly profileId: string | null;
}

/** The streaming sessions (at least one open response) whose content can be looked up. */
function wanted(live: LiveChannelSet): Wanted[] {
  return live.vodSessions.flatMap((session) => {
    const f = session.fields;
    if (Math.trunc(parseNumber(f.active_streams) ?? 0) <= 0) return [];
    const kind = f.content_obj_type?.trim();
    const uuid = f.content_uuid?.trim().toLowerCase() ?? '';
    if ((kind !== 'movie' && kind !== 'episode') || !UUID.test(uuid)) return [];
    const profile = f.m3u_profile_id?.trim() ?? '';
    return [{ sessionId: session.id, kind, uuid, profileId: /^\d{1,18}$/.test(profile) ? profile : null }];
  });
}

function content(sessionId: string, row: CatalogueRow): VodContent {
  const common = {
    sessionId,
    description: row.description,
    durationSecs: row.duration_secs,
    logoId: row.logo_id,
    category: row.category,
  };
  return row.kind === 'movie'
    ? {
        ...common,
        kind: 'movie',
        name: row.name,
        year: row.year,
        genre: row.genre,
        videoCodec: row.video_codec,
        videoWidth: row.video_width,
        videoHeight: row.video_height,
      }
    : {
        ...common,
        kind: 'episode',
        name: row.name,
        seasonNumber: row.season_number,
        episodeNumber: row.episode_number,
        seriesName: row.series_name ?? '',
      };
}

/** Records a provider's video width or height that is not a number (the resolution label is then empty). */
function checkDimensions(wanted: Wanted, row: CatalogueRow, skips: SkipRecorder): void {
  for (const [field, value] of [
    ['width', row.video_width],
    ['height', row.video_height],
  ] as const) {
    if (value !== null && value.trim() !== '' && parseNumber(value) === undefined) {
      skips.add({
        source: 'postgres',
        reason: 'not_a_number',
        key: `vod_movie:${wanted.uuid}`,
        field: `vod_m3umovierelation.custom_properties.detailed_info.video.${field}`,
      });
    }
  }
}

/** Catalogue entries of the streaming VOD sessions, in session order; sessions whose content is not found are left out. */
export async function readVodCatalogue(
  db: Queryable,
  live: LiveChannelSet,
  skips: SkipRecorder = new SkipRecorder(),
): Promise<VodContent[]> {
  const sessions = wanted(live);
  if (sessions.length === 0) return [];
  const rows = await db.query<CatalogueRow>(STATEMENT, [
    sessions.map((s) => s.kind),
    sessions.map((s) => s.uuid),
    sessions.map((s) => s.profileId),
    PROGRAMME_TEXT_LIMITS.description + 1,
  ]);
  return rows.flatMap((row) => {
    const session = sessions[Number(row.n) - 1];
    if (session && row.kind === 'movie') checkDimensions(session, row, skips);
    return session ? [content(session.sessionId, row)] : [];
  });
}
