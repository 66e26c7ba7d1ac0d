/**
 * The demo's EPG: a programme grid per channel, aligned to the clock, whose titles follow from the channel and
 * the slot alone, so a channel shows the same programme whenever it is looked at.
 */
import { type ChannelProgrammes, PROGRAMME_TEXT_LIMITS, type Programme } from '../snapshot.js';
import { hashUnit } from './random.js';
import type { DemoChannel } from './world-channels.js';

interface Slot {
  readonly minutes: number;
  readonly titles: readonly string[];
}

const GRID: Readonly<Record<string, Slot>> = {
  News: { minutes: 30, titles: ['Morning Briefing', 'News at the Hour', 'World Tonight', 'Business Update', 'Weather & Traffic'] },
  Sports: {
    minutes: 120,
    titles: ['Live: Polar League Football', 'Ice Hockey: Finals, Game 3', 'Motor Racing: Qualifying', 'Sports Desk'],
  },
  Movies: { minutes: 105, titles: ['The Lighthouse Keeper', 'Harbour Heist', 'Midnight Ferry', 'The Long Winter'] },
  Kids: { minutes: 30, titles: ['Cartoon Harbour', 'Little Explorers', 'Science for Kids', 'Bedtime Stories'] },
  Documentary: { minutes: 60, titles: ['Planet Oceans', 'Northern Lights', 'Wild Fjords', 'Engineering Marvels'] },
  Entertainment: { minutes: 60, titles: ['Late Night "Live" with the Café Crew', 'Comedy Hour', 'Kitchen Chronicles', 'Quiz Night'] },
  Local: { minutes: 60, titles: ['Council Meeting (live)', 'Harbour Festival Highlights', 'Local News', 'Fjord Walks'] },
  Music: { minutes: 60, titles: ['Jazz Classics', 'Retro Hits Top 40'] },
};

const DEFAULT_SLOT: Slot = { minutes: 60, titles: ['Programme'] };

/** A guide entry longer than a label may carry: the collectors cut it, as they cut Dispatcharr's. */
const LONG_DESCRIPTION = `Tonight's guests talk about the "northern lights", ferries & fjords, and the café that never closes. ${'More details follow in the next part of the show. '.repeat(12)}`;

/** Text as the source reads it: at most one character over the label's limit. */
function asRead(text: string, limit: number): string {
  return [...text].slice(0, limit + 1).join('');
}

function programme(channel: DemoChannel, index: number, slot: number): Programme {
  const grid = GRID[channel.group] ?? DEFAULT_SLOT;
  const length = grid.minutes * 60;
  const pick = hashUnit(index, slot);
  const title = grid.titles[Math.floor(pick * grid.titles.length)] ?? DEFAULT_SLOT.titles[0] ?? '';
  const episode = Math.floor(hashUnit(slot, index, 7) * 40) + 1;
  const description =
    pick < 0.1 ? LONG_DESCRIPTION : `${title} on ${channel.name}.\nEpisode ${episode}; subtitles available. Ünïcödé and "quotes" welcome.`;
  return {
    title: asRead(title, PROGRAMME_TEXT_LIMITS.title),
    subtitle: pick < 0.5 ? asRead(`Episode ${episode}`, PROGRAMME_TEXT_LIMITS.subtitle) : null,
    description: asRead(description, PROGRAMME_TEXT_LIMITS.description),
    start: slot * length,
    end: (slot + 1) * length,
  };
}

/** The previous, current and next programme of a channel with a guide at `time`; undefined without one. */
export function programmesAt(channel: DemoChannel, index: number, time: number): ChannelProgrammes | undefined {
  if (!channel.epg) return undefined;
  const slot = Math.floor(time / ((GRID[channel.group] ?? DEFAULT_SLOT).minutes * 60));
  return {
    uuid: channel.uuid,
    previous: programme(channel, index, slot - 1),
    current: programme(channel, index, slot),
    next: programme(channel, index, slot + 1),
  };
}
