/**
 * Counts Dispatcharr's system events as they arrive. The table is a rolling window of the newest rows, so the
 * exporter keeps its own position (the highest id counted): each read adds the rows above it. The first read only
 * takes the position, so a restart never counts history again; a window that moved past the position between two
 * reads shows as missed events.
 */
import { CHANNEL_EVENT_TYPES, type ChannelEventType, EVENT_TYPES, type EventTotals } from '../snapshot-events.js';
import type { SchemaLevel } from '../snapshot.js';
import { type EventRead, readEventsAfter } from './dispatcharr-events.js';
import type { Queryable } from './postgres.js';

/** Types Dispatcharr may add later are counted under their own name, up to this many; beyond, as `other`. */
const MAX_UNKNOWN_TYPES = 32;
const TYPE_NAME = /^[a-z][a-z0-9_]{0,49}$/;
const CHANNEL_TYPES: ReadonlySet<string> = new Set(CHANNEL_EVENT_TYPES);

function zeroCounts(): Record<ChannelEventType, number> {
  return Object.fromEntries(CHANNEL_EVENT_TYPES.map((type) => [type, 0])) as Record<ChannelEventType, number>;
}

export class EventLog {
  /** The highest id counted; `empty` when the table was empty (every row that appears is new); unset before a read. */
  private position: number | 'empty' | undefined;
  private readonly byType = new Map<string, number>(EVENT_TYPES.map((type) => [type, 0]));
  private unknownTypes = 0;
  private readonly channels = new Map<string, { name: string; counts: Record<ChannelEventType, number> }>();
  private missed = 0;
  private previous: Promise<unknown> = Promise.resolve();

  /** Reads the events since the last read and adds them. Reads never overlap, so no event is counted twice. */
  advance(db: Queryable, level: SchemaLevel): Promise<EventTotals> {
    const next = this.previous.then(async () => {
      const position = this.position;
      this.apply(position, await readEventsAfter(db, level, position === undefined ? null : position === 'empty' ? 0 : position));
      return this.totals();
    });
    this.previous = next.catch(() => undefined);
    return next;
  }

  private apply(position: number | 'empty' | undefined, read: EventRead): void {
    if (typeof position === 'number') {
      // An empty table keeps the position (ids go on from it); ids lower than it mean a restored or reset table.
      if (read.newest === null) return;
      if (read.newest < position) {
        this.position = read.newest;
        return;
      }
      if (read.oldest !== null && read.oldest > position + 1) this.missed += read.oldest - position - 1;
    }
    if (position !== undefined) for (const group of read.groups) this.count(group.type, group.channel, group.channelName, group.count);
    this.position = read.newest ?? 'empty';
  }

  private count(type: string, channel: string | null, channelName: string | null, count: number): void {
    let name = type;
    if (!this.byType.has(type)) {
      if (TYPE_NAME.test(type) && this.unknownTypes < MAX_UNKNOWN_TYPES) this.unknownTypes++;
      else name = 'other';
    }
    this.byType.set(name, (this.byType.get(name) ?? 0) + count);
    if (channel === null || !CHANNEL_TYPES.has(type)) return;
    const entry = this.channels.get(channel) ?? { name: channelName ?? '', counts: zeroCounts() };
    entry.name = channelName ?? entry.name;
    entry.counts[type as ChannelEventType] += count;
    this.channels.set(channel, entry);
  }

  private totals(): EventTotals {
    return {
      byType: Object.fromEntries(this.byType),
      channels: [...this.channels]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([uuid, { name, counts }]) => ({ uuid, name, counts: { ...counts } })),
      missed: this.missed,
    };
  }
}
