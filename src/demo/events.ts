/**
 * The demo's system event log, counted as Dispatcharr's `core_systemevent` table would be: what the simulation
 * did since the exporter started (the warm-up before it is history the counters never saw).
 */
import { CHANNEL_EVENT_TYPES, type ChannelEventType, EVENT_TYPES, type EventTotals } from '../snapshot-events.js';
import type { RefreshPlan } from './refresh.js';
import { ACCOUNTS, EPG_SOURCES } from './world-providers.js';
import type { DemoChannel } from './world-channels.js';

type EventType = (typeof EVENT_TYPES)[number];

/** Refreshes that ended in (0, elapsed] seconds after the start, for a plan that repeats. */
function refreshesDone(plan: RefreshPlan, elapsed: number): number {
  if (plan.kind !== 'cycle' || elapsed <= 0) return 0;
  const ends = (seconds: number) => Math.floor((seconds + plan.offsetSeconds) / plan.periodSeconds);
  return ends(elapsed) - ends(0);
}

export class DemoEventLog {
  private readonly byType = new Map<string, number>();
  private readonly byChannel = new Map<DemoChannel, Record<ChannelEventType, number>>();

  /** `start`: when counting begins, epoch seconds. */
  constructor(private readonly start: number) {}

  record(type: EventType, time: number, channel?: DemoChannel): void {
    if (time < this.start) return;
    this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
    if (!channel || !(CHANNEL_EVENT_TYPES as readonly string[]).includes(type)) return;
    let counts = this.byChannel.get(channel);
    if (!counts) {
      counts = Object.fromEntries(CHANNEL_EVENT_TYPES.map((t) => [t, 0])) as Record<ChannelEventType, number>;
      this.byChannel.set(channel, counts);
    }
    counts[type as ChannelEventType]++;
  }

  /** The totals at `time`: the recorded events plus the M3U and EPG refreshes their schedules ran by then. */
  totals(time: number): EventTotals {
    const elapsed = time - this.start;
    const refreshes = {
      m3u_refresh: ACCOUNTS.reduce((sum, a) => sum + refreshesDone(a.refresh, elapsed), 0),
      epg_refresh: EPG_SOURCES.reduce((sum, s) => sum + refreshesDone(s.refresh, elapsed), 0),
    };
    const byType = Object.fromEntries(
      EVENT_TYPES.map((type) => [type, (this.byType.get(type) ?? 0) + (refreshes[type as keyof typeof refreshes] ?? 0)]),
    );
    const channels = [...this.byChannel.entries()]
      .map(([channel, counts]) => ({ uuid: channel.uuid, name: channel.name, counts: { ...counts } }))
      .sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
    return { byType, channels, missed: 0 };
  }
}
