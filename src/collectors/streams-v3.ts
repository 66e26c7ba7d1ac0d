/**
 * The stream families in the original plugin's v3 layout (metrics_layout=v3): bits per second instead of
 * kbps, a `type` label, live channels and VOD sessions in the same families, `channel_group` in the
 * metadata, empty strings for unknown text. Values are the v2 collector's, in the v3 units; VOD metadata comes
 * from Redis, completed from Dispatcharr's VOD catalogue (vod-v3.ts).
 */
import type { Settings } from '../config/settings.js';
import { counter, gauge, type MetricFamily, sample } from '../exposition/family.js';
import { type M3uProfile, partValue, type Snapshot } from '../snapshot.js';
import { type LiveStream, parseAmount, parseNumber, vodStreams, type VodStream } from './live-view.js';
import type { StreamFigures } from './streams.js';
import { figureSamples, infoSamples } from './samples.js';
import { vodCatalogue, type VodMetadata, vodMetadata } from './vod-v3.js';
import { BITS_PER_KBIT, BYTES_PER_MIB, derived, KIBPS_TO_KBPS } from './units.js';

/** The labels every v3 stream series carries. */
export type V3StreamLabels = {
  readonly type: 'live' | 'vod';
  readonly channel_uuid: string;
  readonly channel_number: string;
};

interface V3Figures {
  readonly labels: V3StreamLabels;
  readonly uptime?: number;
  readonly clients: number;
  readonly fps?: number;
  readonly speed?: number;
  readonly videoBps?: number;
  readonly transcodeBps?: number;
  readonly avgBps?: number;
  readonly currentBps?: number;
  readonly totalMib?: number;
  readonly profileConnections?: number;
  readonly profileMax?: number;
  readonly channelNumber?: number;
  readonly streamId?: number;
  readonly index?: number;
  readonly available?: number;
  readonly metadata: Record<string, string>;
}

const text = (value: string | null | undefined): string => (value ?? '').trim();
const times = (value: number | undefined, factor: number): number | undefined =>
  value === undefined ? undefined : derived(value * factor);

export function liveLabels(figures: StreamFigures): V3StreamLabels {
  return { type: 'live', ...figures.labels };
}

/** Sum of the rates Dispatcharr last measured for the channel's clients, in bits per second. */
function currentBitrate(stream: LiveStream): number | undefined {
  let sum = 0;
  let measured = false;
  for (const c of stream.live.clients) {
    const rate = parseNumber(c.fields.current_rate_KBps);
    if (rate === undefined || rate < 0) continue;
    sum += rate;
    measured = true;
  }
  return measured ? derived(sum * KIBPS_TO_KBPS * BITS_PER_KBIT) : undefined;
}

function liveFigures(stream: LiveStream, f: StreamFigures): V3Figures {
  const labels = liveLabels(f);
  const m = f.metadata;
  return {
    labels,
    uptime: f.uptime,
    clients: f.clients,
    fps: f.fps,
    speed: f.speed,
    videoBps: times(f.videoBitrate, BITS_PER_KBIT),
    transcodeBps: times(f.transcodeBitrate, BITS_PER_KBIT),
    avgBps: times(f.avgBitrate, BITS_PER_KBIT),
    currentBps: currentBitrate(stream),
    totalMib: f.totalMib,
    profileConnections: f.profileConnections,
    profileMax: f.profileMax,
    channelNumber: f.channelNumber,
    streamId: f.streamId,
    index: f.index,
    available: f.available,
    metadata: {
      ...labels,
      channel_name: stream.row.name,
      channel_group: text(stream.row.groupName),
      stream_id: m['stream_id'] ?? '',
      stream_name: text(stream.row.streamName),
      provider: text(stream.row.provider),
      provider_type: text(stream.row.providerType),
      state: text(stream.live.metadata.state),
      logo_url: m['logo_url'] ?? '',
      profile_id: m['profile_id'] ?? '',
      profile_name: text(stream.row.profileName),
      stream_profile: text(stream.row.streamProfile),
      video_codec: text(stream.live.metadata.video_codec),
      resolution: text(stream.live.metadata.resolution),
    },
  };
}

function vodFigures(vod: VodStream, profile: M3uProfile | undefined, connections: Map<string, number>, metadata: VodMetadata): V3Figures {
  const labels: V3StreamLabels = { type: 'vod', channel_uuid: vod.id, channel_number: vod.number };
  const bytes = parseAmount(vod.fields.bytes_sent);
  return {
    labels,
    uptime: vod.uptime,
    clients: vod.activeStreams,
    avgBps: bytes !== undefined && vod.uptime ? derived((bytes * 8) / vod.uptime) : undefined,
    totalMib: bytes !== undefined && bytes >= 0 ? bytes / BYTES_PER_MIB : undefined,
    profileConnections: profile ? (connections.get(profile.id) ?? 0) : undefined,
    profileMax: profile?.maxStreams,
    streamId: 0,
    metadata: {
      ...labels,
      content_uuid: text(vod.fields.content_uuid),
      channel_name: metadata.channel_name,
      channel_group: metadata.channel_group,
      content_type: text(vod.fields.content_obj_type),
      provider: text(profile?.accountName),
      provider_type: text(profile?.accountType),
      state: 'active',
      logo_url: metadata.logo_url,
      profile_id: profile?.id ?? text(vod.fields.m3u_profile_id),
      profile_name: text(profile?.name),
      stream_profile: '',
      video_codec: metadata.video_codec,
      resolution: metadata.resolution,
      ...metadata.episode,
    },
  };
}

/** The v3 stream families, from the v2 figures of the live channels and the VOD sessions with an open response. */
export function streamFamiliesV3(
  snapshot: Snapshot,
  settings: Settings,
  streams: readonly LiveStream[],
  figures: readonly StreamFigures[],
  connections: Map<string, number>,
): MetricFamily[] {
  const profiles = settings.include_m3u_stats ? partValue(snapshot, 'profiles') : [];
  const byId = new Map<string, M3uProfile>();
  for (const p of profiles) byId.set(p.id, p);
  const catalogue = vodCatalogue(snapshot);
  const vod: V3Figures[] = [];
  for (const v of vodStreams(snapshot))
    vod.push(vodFigures(v, byId.get(v.fields.m3u_profile_id?.trim() ?? ''), connections, vodMetadata(v, catalogue.get(v.id), settings)));
  const liveFiguresV3: V3Figures[] = [];
  for (let i = 0; i < streams.length; i++) liveFiguresV3.push(liveFigures(streams[i] as LiveStream, figures[i] as StreamFigures));
  const all = [...liveFiguresV3, ...vod];
  const channelNumber = gauge(
    'dispatcharr_stream_channel_number',
    'Channel number of the live stream',
    figureSamples(all, 'channelNumber'),
  );
  return [
    gauge(
      'dispatcharr_active_streams',
      'Streams Dispatcharr serves now: all, and per type (live channels, VOD sessions with an open response)',
      [sample(all.length), sample(liveFiguresV3.length, { type: 'live' }), sample(vod.length, { type: 'vod' })],
    ),
    counter(
      'dispatcharr_stream_uptime_seconds',
      'Seconds since the stream started (live: failovers do not reset it)',
      figureSamples(all, 'uptime'),
    ),
    gauge('dispatcharr_stream_active_clients', 'Clients of the stream (VOD: open responses of the session)', figureSamples(all, 'clients')),
    gauge('dispatcharr_stream_fps', 'Frames per second of the source video, as ffmpeg reports it (live)', figureSamples(all, 'fps')),
    gauge(
      'dispatcharr_stream_buffering_speed',
      'ffmpeg processing speed (1 = real time; below 1 the channel buffers) (live)',
      figureSamples(all, 'speed'),
    ),
    gauge(
      'dispatcharr_stream_video_bitrate_bps',
      'Bitrate of the source video in bits per second, as ffmpeg reports it (live)',
      figureSamples(all, 'videoBps'),
    ),
    gauge(
      'dispatcharr_stream_transcode_bitrate_bps',
      'Output bitrate of the ffmpeg transcode in bits per second (live)',
      figureSamples(all, 'transcodeBps'),
    ),
    gauge(
      'dispatcharr_stream_avg_bitrate_bps',
      'Average bitrate since the stream started, in bits per second (live: ingest from the provider; VOD: sent)',
      figureSamples(all, 'avgBps'),
    ),
    gauge(
      'dispatcharr_stream_current_bitrate_bps',
      "Sum of the rates last measured for the channel's clients, in bits per second (KiB/s x 8192) (live)",
      figureSamples(all, 'currentBps'),
    ),
    counter(
      'dispatcharr_stream_total_transfer_mb',
      'Data transferred since the stream started, in MiB (1,048,576 bytes) (live: received from the provider; VOD: sent)',
      figureSamples(all, 'totalMib'),
    ),
    gauge(
      'dispatcharr_stream_profile_connections',
      'Provider connections in use on the M3U profile this stream uses',
      figureSamples(all, 'profileConnections'),
    ),
    gauge(
      'dispatcharr_stream_profile_max_connections',
      'Connection limit of the M3U profile this stream uses (0 = unlimited)',
      figureSamples(all, 'profileMax'),
    ),
    { ...channelNumber, valueFormat: 'python-float' },
    gauge(
      'dispatcharr_stream_id',
      'Database id of the stream the live channel plays (changes on failover); 0 for VOD',
      figureSamples(all, 'streamId'),
    ),
    gauge(
      'dispatcharr_stream_index',
      "Place of the playing stream in the channel's stream list (0 = primary; -1 = no longer in the list) (live)",
      figureSamples(all, 'index'),
    ),
    gauge(
      'dispatcharr_stream_available_streams',
      'Streams configured for the channel (its failover list) (live)',
      figureSamples(all, 'available'),
    ),
    gauge(
      'dispatcharr_stream_metadata',
      'Stream details for joins on type, channel_uuid and channel_number (value always 1); unknown text is empty',
      infoSamples(all, 'metadata'),
    ),
  ];
}
