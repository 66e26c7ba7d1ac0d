/**
 * "Now playing" on the live channels (always on): the programme on air from Dispatcharr's EPG, with the
 * previous and next ones, as labels; the value is how far the current programme has got. In the v3 layout
 * the VOD sessions follow, with the content they play from Dispatcharr's VOD catalogue as the current programme.
 */
import { gauge, type Sample, sample } from '../exposition/family.js';
import {
  type ChannelProgrammes,
  type LiveChannelRow,
  PROGRAMME_TEXT_LIMITS,
  partValue,
  type Programme,
  type Snapshot,
} from '../snapshot.js';
import type { Collector } from './collector.js';
import { channelLabels, liveStreams, parseNumber, vodStreams } from './live-view.js';
import { vodCatalogue, vodProgrammeText } from './vod-v3.js';

const ELLIPSIS = '…';

/**
 * `text` cut to at most `limit` characters (Unicode code points, so a surrogate pair is never split): longer
 * text keeps `limit - 1` characters and ends with "…".
 */
export function cutText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let count = 0;
  let offset = 0;
  let keep = 0;
  for (const char of text) {
    if (count === limit - 1) keep = offset;
    count++;
    if (count > limit) return `${text.slice(0, keep)}${ELLIPSIS}`;
    offset += char.length;
  }
  return text;
}

/** ISO 8601 in UTC to the second, `2026-01-02T18:00:00+00:00`; empty for a time JavaScript cannot represent. */
export function isoTime(seconds: number): string {
  const date = new Date(Math.floor(seconds) * 1000);
  if (!Number.isFinite(date.getTime())) return '';
  return `${date.toISOString().slice(0, -'.000Z'.length)}+00:00`;
}

/** Fraction of the programme elapsed at `now`, from 0 (starts now) to 1 (over), never outside. */
export function elapsedFraction(programme: Programme, now: number): number {
  const length = programme.end - programme.start;
  if (!(length > 0)) return now >= programme.end ? 1 : 0;
  return Math.min(1, Math.max(0, (now - programme.start) / length));
}

/** A programme's label texts, `times` holding the ISO times already written (programmes share start and end times). */
function programmeText(programme: Programme | null, times: Map<number, string>) {
  const iso = (seconds: number) => {
    let text = times.get(seconds);
    if (text === undefined) {
      text = isoTime(seconds);
      times.set(seconds, text);
    }
    return text;
  };
  return {
    title: programme ? cutText(programme.title, PROGRAMME_TEXT_LIMITS.title) : '',
    subtitle: cutText(programme?.subtitle ?? '', PROGRAMME_TEXT_LIMITS.subtitle),
    description: cutText(programme?.description ?? '', PROGRAMME_TEXT_LIMITS.description),
    start: programme ? iso(programme.start) : '',
    end: programme ? iso(programme.end) : '',
  };
}

/**
 * A live channel's labels, written out as one object literal: spreading a label object per slot made this the
 * costliest part of the collector on hundreds of live channels.
 */
function liveLabels(row: LiveChannelRow, programmes: ChannelProgrammes, times: Map<number, string>): Record<string, string> {
  const { channel_uuid, channel_number } = channelLabels(row);
  const previous = programmeText(programmes.previous, times);
  const current = programmeText(programmes.current, times);
  const next = programmeText(programmes.next, times);
  return {
    channel_uuid,
    channel_number,
    previous_title: previous.title,
    previous_subtitle: previous.subtitle,
    previous_description: previous.description,
    previous_start_time: previous.start,
    previous_end_time: previous.end,
    current_title: current.title,
    current_subtitle: current.subtitle,
    current_description: current.description,
    current_start_time: current.start,
    current_end_time: current.end,
    next_title: next.title,
    next_subtitle: next.subtitle,
    next_description: next.description,
    next_start_time: next.start,
    next_end_time: next.end,
  };
}

/** The labels of a slot without a programme (a VOD session's previous and next): all empty. */
function emptySlot(slot: 'previous' | 'next'): Record<string, string> {
  const names = ['title', 'subtitle', 'description', 'start_time', 'end_time'];
  return Object.fromEntries(names.map((name) => [`${slot}_${name}`, '']));
}

/**
 * VOD sessions whose content is in the catalogue: the content is the current programme, from the session's start
 * (`created_at`) for the content's duration; the value is the session's uptime over that duration (0 when unknown).
 */
function vodSamples(snapshot: Snapshot): Sample[] {
  const catalogue = vodCatalogue(snapshot);
  return vodStreams(snapshot).flatMap((vod) => {
    const content = catalogue.get(vod.id);
    if (!content) return [];
    const { title, subtitle, description } = vodProgrammeText(content);
    const created = parseNumber(vod.fields.created_at);
    const start = created !== undefined && created > 0 ? created : undefined;
    const duration = content.durationSecs !== null && content.durationSecs > 0 ? content.durationSecs : undefined;
    const elapsed = duration !== undefined && vod.uptime !== undefined ? Math.min(1, Math.max(0, vod.uptime / duration)) : 0;
    return [
      sample(elapsed, {
        type: 'vod',
        channel_uuid: vod.id,
        channel_number: vod.number,
        ...emptySlot('previous'),
        current_title: cutText(title, PROGRAMME_TEXT_LIMITS.title),
        current_subtitle: cutText(subtitle, PROGRAMME_TEXT_LIMITS.subtitle),
        current_description: cutText(description, PROGRAMME_TEXT_LIMITS.description),
        current_start_time: start === undefined ? '' : isoTime(start),
        current_end_time: start === undefined || duration === undefined ? '' : isoTime(start + duration),
        ...emptySlot('next'),
      }),
    ];
  });
}

export const programmingCollector: Collector = {
  name: 'programming',
  needs: (settings) =>
    settings.metrics_layout === 'v3' ? ['live', 'liveJoin', 'programmes', 'vodCatalogue'] : ['live', 'liveJoin', 'programmes'],
  collect(snapshot, settings) {
    const v3 = settings.metrics_layout === 'v3';
    const byUuid = new Map(partValue(snapshot, 'programmes').map((p) => [p.uuid, p]));
    const times = new Map<number, string>();
    const samples: Sample[] = [];
    for (const { row } of liveStreams(snapshot)) {
      const programmes = byUuid.get(row.uuid);
      if (!programmes) continue;
      const labels = liveLabels(row, programmes, times);
      // The v3 layout puts a type label first on every stream series.
      samples.push(sample(elapsedFraction(programmes.current, snapshot.time), v3 ? { type: 'live', ...labels } : labels));
    }
    return [
      gauge(
        'dispatcharr_stream_programming',
        v3
          ? "Now playing: on a live channel the programme on air from Dispatcharr's EPG with the previous and next ones, on a VOD session the content from Dispatcharr's VOD catalogue; value = fraction elapsed (0 to 1)"
          : "Programme on air on the live channel from Dispatcharr's EPG, with the previous and next ones as labels; value = fraction of the current programme elapsed (0 to 1)",
        v3 ? [...samples, ...vodSamples(snapshot)] : samples,
      ),
    ];
  },
};
