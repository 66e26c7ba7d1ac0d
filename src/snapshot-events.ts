/** Dispatcharr's system events (`core_systemevent`) as the exporter counts them: totals since it started. */

/** The events about a channel's stream, counted per channel as well. */
export const CHANNEL_EVENT_TYPES = [
  'channel_start',
  'channel_stop',
  'channel_buffering',
  'channel_failover',
  'channel_reconnect',
  'channel_error',
] as const;

/** Every event type Dispatcharr v0.15 to v0.29 writes, in the order of its SystemEvent model's choices (VOD from v0.2x). */
export const EVENT_TYPES = [
  ...CHANNEL_EVENT_TYPES,
  'client_connect',
  'client_disconnect',
  'recording_start',
  'recording_end',
  'stream_switch',
  'm3u_refresh',
  'm3u_download',
  'epg_refresh',
  'epg_download',
  'login_success',
  'login_failed',
  'logout',
  'm3u_blocked',
  'epg_blocked',
  'vod_start',
  'vod_stop',
] as const;
export type ChannelEventType = (typeof CHANNEL_EVENT_TYPES)[number];

export interface ChannelEventCounts {
  readonly uuid: string;
  /** The channel's name now (its override from v0.25), so a series keeps its name whatever the event recorded. */
  readonly name: string;
  readonly counts: Readonly<Record<ChannelEventType, number>>;
}

export interface EventTotals {
  /** Events since the exporter started, by type: every known type (zeros included), then any other seen. */
  readonly byType: Readonly<Record<string, number>>;
  /** Channel events per channel that still exists, in UUID order. */
  readonly channels: readonly ChannelEventCounts[];
  /** Events deleted by Dispatcharr's rolling window before a scrape could count them. */
  readonly missed: number;
}
