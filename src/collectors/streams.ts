/** Live stream families (always on; data from Redis joined with the database). */
import { counter, gauge, sample, type MetricFamily } from '../exposition/family.js';
import { type LiveClient, partValue, type Snapshot } from '../snapshot.js';
import type { Collector } from './collector.js';
import { legacyInfo } from './streams-legacy.js';
import { streamFamiliesV3 } from './streams-v3.js';
import { BYTES_PER_MIB, derived } from './units.js';
import { withoutCredentials } from '../redact.js';
import { figureSamples, infoSamples } from './samples.js';
import { channelLabels, connectionsByProfile, liveStreams, parseAmount, parseNumber, secondsSince, type LiveStream } from './live-view.js';

/** Shown by dispatcharr_stream_index when the playing stream is no longer in the channel's list. */
export const STREAM_NOT_IN_LIST = -1;

export interface StreamFigures {
  readonly labels: { channel_uuid: string; channel_number: string };
  readonly viewers: number;
  readonly uptime?: number;
  readonly clients: number;
  readonly fps?: number;
  readonly videoBitrate?: number;
  readonly transcodeBitrate?: number;
  readonly avgBitrate?: number;
  readonly totalMib?: number;
  readonly profileConnections?: number;
  readonly profileMax?: number;
  readonly speed?: number;
  readonly index?: number;
  readonly channelNumber?: number;
  readonly streamId?: number;
  readonly available: number;
  readonly metadata: StreamMetadataLabels;
}

/** The labels of `dispatcharr_stream_metadata`, in their order on the wire. */
export type StreamMetadataLabels = {
  readonly channel_uuid: string;
  readonly channel_number: string;
  readonly channel_name: string;
  readonly stream_id: string;
  readonly stream_name: string;
  readonly provider: string;
  readonly provider_type: string;
  readonly state: string;
  readonly logo_url: string;
  readonly profile_id: string;
  readonly profile_name: string;
  readonly stream_profile: string;
  readonly video_codec: string;
  readonly resolution: string;
};

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** Where Dispatcharr serves a logo, under `base` (the configured base URL without credentials). */
function logoUrl(logoId: string | null, base: string): string {
  return logoId === null ? '' : `${base}/api/channels/logos/${logoId}/cache/`;
}

function known(text: string | null | undefined): string {
  return text === null || text === undefined || text.trim() === '' ? 'unknown' : text;
}

/** Distinct viewers: client IP addresses, a client without one counting alone. */
function viewerCount(clients: readonly LiveClient[]): number {
  const viewers = new Set<string>();
  for (const c of clients) viewers.add(c.fields.ip_address ?? `client:${c.id}`);
  return viewers.size;
}

function figures(stream: LiveStream, snapshot: Snapshot, logoBase: string, connections: Map<string, number>): StreamFigures {
  const { live, row } = stream;
  const meta = live.metadata;
  const labels = channelLabels(row);
  const uptime = secondsSince(meta.init_time, snapshot.time);
  const totalBytes = parseAmount(meta.total_bytes);
  return {
    labels,
    viewers: viewerCount(live.clients),
    uptime,
    clients: live.clients.length,
    fps: positive(parseNumber(meta.source_fps)),
    videoBitrate: positive(parseNumber(meta.video_bitrate)),
    transcodeBitrate: positive(parseNumber(meta.ffmpeg_output_bitrate)),
    avgBitrate: totalBytes !== undefined && uptime ? derived((totalBytes * 8) / uptime / 1000) : undefined,
    totalMib: totalBytes !== undefined && totalBytes >= 0 ? totalBytes / BYTES_PER_MIB : undefined,
    profileConnections: row.profileId ? (connections.get(row.profileId) ?? 0) : undefined,
    profileMax: row.profileId && row.profileMaxStreams !== null ? row.profileMaxStreams : undefined,
    speed: positive(parseNumber(meta.ffmpeg_speed?.replace(/x$/, ''))),
    index: row.streamId === null ? undefined : (row.position ?? STREAM_NOT_IN_LIST),
    channelNumber: row.number ?? undefined,
    streamId: row.streamId === null ? undefined : Number(row.streamId),
    available: row.availableStreams,
    // An object literal, not a spread of `labels`: spreading was most of this function's cost on hundreds of channels.
    metadata: {
      channel_uuid: labels.channel_uuid,
      channel_number: labels.channel_number,
      channel_name: row.name,
      stream_id: row.streamId ?? '',
      stream_name: known(row.streamName),
      provider: known(row.provider),
      provider_type: known(row.providerType),
      state: known(meta.state),
      logo_url: logoUrl(row.logoId, logoBase),
      profile_id: row.profileId ?? '',
      profile_name: known(row.profileName),
      stream_profile: known(row.streamProfile),
      video_codec: known(meta.video_codec),
      resolution: known(meta.resolution),
    },
  };
}

export const streamsCollector: Collector = {
  name: 'streams',
  // The v3 layout names the provider of VOD sessions, which comes with the M3U profiles, and their content from the catalogue.
  needs: (settings) => {
    if (settings.metrics_layout !== 'v3') return ['live', 'liveJoin'];
    return settings.include_m3u_stats ? ['live', 'liveJoin', 'profiles', 'vodCatalogue'] : ['live', 'liveJoin', 'vodCatalogue'];
  },
  collect(snapshot, settings) {
    const streams = liveStreams(snapshot);
    const connections = connectionsByProfile(streams, partValue(snapshot, 'live'));
    const logoBase = withoutCredentials(settings.base_url);
    const all: StreamFigures[] = [];
    for (const stream of streams) all.push(figures(stream, snapshot, logoBase, connections));
    if (settings.metrics_layout === 'v3') {
      return streamFamiliesV3(snapshot, settings, streams, all, connections);
    }
    const families: MetricFamily[] = [
      gauge('dispatcharr_active_streams', 'Channels Dispatcharr is streaming now (live metadata present and channel in the database)', [
        sample(all.length),
      ]),
      gauge(
        'dispatcharr_stream_viewers',
        'Distinct viewers of the channel: client IP addresses among its connected clients',
        figureSamples(all, 'viewers'),
      ),
      counter(
        'dispatcharr_stream_uptime_seconds',
        'Seconds since the channel started streaming (failovers do not reset it)',
        figureSamples(all, 'uptime'),
      ),
      gauge(
        'dispatcharr_stream_active_clients',
        'Clients connected to the channel (client records that have expired are not counted)',
        figureSamples(all, 'clients'),
      ),
      gauge('dispatcharr_stream_fps', 'Frames per second of the source video, as ffmpeg reports it', figureSamples(all, 'fps')),
      gauge(
        'dispatcharr_stream_video_bitrate_kbps',
        'Bitrate of the source video in kbps (1000 bits per second), as ffmpeg reports it',
        figureSamples(all, 'videoBitrate'),
      ),
      gauge(
        'dispatcharr_stream_transcode_bitrate_kbps',
        'Output bitrate of the ffmpeg transcode in kbps (1000 bits per second); absent when not transcoding',
        figureSamples(all, 'transcodeBitrate'),
      ),
      gauge(
        'dispatcharr_stream_avg_bitrate_kbps',
        'Average ingest bitrate from the provider since the channel started, in kbps (1000 bits per second)',
        figureSamples(all, 'avgBitrate'),
      ),
      counter(
        'dispatcharr_stream_total_transfer_mb',
        'Data received from the provider for this channel since it started, in MiB (1,048,576 bytes)',
        figureSamples(all, 'totalMib'),
      ),
      gauge(
        'dispatcharr_stream_profile_connections',
        'Provider connections in use on the M3U profile this channel streams through (live channels plus VOD sessions)',
        figureSamples(all, 'profileConnections'),
      ),
      gauge(
        'dispatcharr_stream_profile_max_connections',
        'Connection limit of the M3U profile this channel streams through (0 = unlimited)',
        figureSamples(all, 'profileMax'),
      ),
      {
        ...gauge('dispatcharr_stream_channel_number', 'Channel number of the active stream', figureSamples(all, 'channelNumber')),
        valueFormat: 'python-float',
      },
      gauge(
        'dispatcharr_stream_id',
        'Database id of the stream the channel is playing; changes on failover',
        figureSamples(all, 'streamId'),
      ),
      gauge(
        'dispatcharr_stream_index',
        `Place of the playing stream in the channel's stream list (0 = primary, above 0 = a backup; ${STREAM_NOT_IN_LIST} = no longer in the list)`,
        figureSamples(all, 'index'),
      ),
      gauge(
        'dispatcharr_stream_buffering_speed',
        'ffmpeg processing speed (1 = real time; below 1 the channel buffers)',
        figureSamples(all, 'speed'),
      ),
      gauge(
        'dispatcharr_stream_available_streams',
        'Streams configured for the channel (its failover list)',
        figureSamples(all, 'available'),
      ),
    ];
    if (settings.include_legacy_metrics) families.push(legacyInfo(all));
    families.push(
      gauge(
        'dispatcharr_stream_metadata',
        'Active stream details for joins on channel_uuid and channel_number (value always 1); state is one of initializing, connecting, waiting_for_clients, active, buffering, error, stopping, stopped',
        infoSamples(all, 'metadata'),
      ),
    );
    return families;
  },
};
