/**
 * VOD sessions completed from Dispatcharr's VOD catalogue, as the original plugin's v3 layout shows them: the
 * stream metadata labels (name, category, logo, video details, an episode's place in its series) and the texts
 * of the "now playing" programme. A session whose content is not in the catalogue keeps what Redis says.
 */
import type { Settings } from '../config/settings.js';
import { withoutCredentials } from '../redact.js';
import { partValue, type Snapshot } from '../snapshot.js';
import type { VodContent, VodEpisode, VodMovie } from '../snapshot-vod.js';
import type { VodStream } from './live-view.js';

const text = (value: string | null | undefined): string => (value ?? '').trim();
const numberText = (value: number | null): string => (value === null ? '' : String(value));

/** The catalogue entries by VOD session id. */
export function vodCatalogue(snapshot: Snapshot): Map<string, VodContent> {
  return new Map(partValue(snapshot, 'vodCatalogue').map((c) => [c.sessionId, c]));
}

/** The metadata labels of a VOD session that come from the catalogue; `episode` is appended after `resolution`. */
export interface VodMetadata {
  readonly channel_name: string;
  readonly channel_group: string;
  readonly logo_url: string;
  readonly video_codec: string;
  readonly resolution: string;
  readonly episode: Readonly<Record<string, string>>;
}

/** `<width>x<height>` from the provider's video details, when both are whole numbers. */
function resolution(movie: VodMovie): string {
  const [width, height] = [text(movie.videoWidth), text(movie.videoHeight)];
  return /^[1-9]\d{0,5}$/.test(width) && /^[1-9]\d{0,5}$/.test(height) ? `${width}x${height}` : '';
}

export function vodMetadata(vod: VodStream, content: VodContent | undefined, settings: Settings): VodMetadata {
  const movie = content?.kind === 'movie' ? content : undefined;
  const episode = content?.kind === 'episode' ? content : undefined;
  return {
    // v3 names an episode's stream after its series.
    channel_name: text(movie?.name ?? episode?.seriesName ?? vod.fields.content_name),
    channel_group: text(content?.category),
    logo_url: content?.logoId ? `${withoutCredentials(settings.base_url)}/api/vod/vodlogos/${content.logoId}/cache/` : '',
    video_codec: text(movie?.videoCodec),
    resolution: movie ? resolution(movie) : '',
    // v3 appends these to every episode's metadata; empty when the catalogue does not know the episode.
    episode:
      text(vod.fields.content_obj_type) === 'episode'
        ? {
            season_number: numberText(episode?.seasonNumber ?? null),
            episode_number: numberText(episode?.episodeNumber ?? null),
            series_name: text(episode?.seriesName),
          }
        : {},
  };
}

/** The programme texts of a VOD session, before the label length limits are applied. */
export interface VodProgrammeText {
  readonly title: string;
  readonly subtitle: string;
  readonly description: string;
}

/** `text` without a leading `prefix` (any case) that is followed by a separator or nothing; else `text` unchanged. */
function withoutPrefix(value: string, prefix: string): string {
  if (prefix === '' || value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return value;
  const rest = value.slice(prefix.length);
  const separator = /^(\s*[-–—:|]\s*|$)/.exec(rest);
  return separator ? rest.slice(separator[0].length) : value;
}

/** `S02E05 - Episode name`: XC providers often name episodes `Series - S02E05 - Episode name`, so the repeats go. */
function episodeSubtitle(episode: VodEpisode): string {
  const pad = (n: number | null) => String(n ?? 0).padStart(2, '0');
  const code =
    episode.seasonNumber === null && episode.episodeNumber === null ? '' : `S${pad(episode.seasonNumber)}E${pad(episode.episodeNumber)}`;
  const series = text(episode.seriesName);
  let name = text(episode.name);
  for (const prefix of [series, series.replace(/\s*\(\d{4}\)$/, ''), code]) name = withoutPrefix(name, prefix);
  return [code, name].filter((part) => part !== '').join(' - ');
}

export function vodProgrammeText(content: VodContent): VodProgrammeText {
  const description = text(content.description);
  if (content.kind === 'episode') return { title: text(content.seriesName), subtitle: episodeSubtitle(content), description };
  const year = content.year === null ? '' : String(content.year);
  const name = text(content.name);
  const title = year !== '' && name.endsWith(` (${year})`) ? name.slice(0, -` (${year})`.length).trimEnd() : name;
  return { title, subtitle: [year, text(content.genre)].filter((part) => part !== '').join(' - '), description };
}
