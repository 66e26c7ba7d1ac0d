/** `dispatcharr_stream_info` (gate include_legacy_metrics): every figure of a live stream as a label, as the seed had it. */
import { gauge, type MetricFamily, type Sample, sample } from '../exposition/family.js';
import type { StreamFigures, StreamMetadataLabels } from './streams.js';

function text(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/** `dispatcharr_stream_info`'s sample of one stream. */
function legacySample(f: StreamFigures): Sample {
  const m = f.metadata;
  // Written out rather than spread from the metadata labels (the spread was most of this family's cost); typed,
  // so a metadata label missing here does not compile.
  const labels: LegacyStreamLabels = {
    channel_uuid: m.channel_uuid,
    channel_number: m.channel_number,
    channel_name: m.channel_name,
    stream_id: m.stream_id,
    stream_name: m.stream_name,
    provider: m.provider,
    provider_type: m.provider_type,
    state: m.state,
    logo_url: m.logo_url,
    profile_id: m.profile_id,
    profile_name: m.profile_name,
    stream_profile: m.stream_profile,
    video_codec: m.video_codec,
    resolution: m.resolution,
    profile_connections: text(f.profileConnections),
    profile_max_connections: text(f.profileMax),
    fps: text(f.fps),
    video_bitrate_kbps: text(f.videoBitrate),
    transcode_bitrate_kbps: text(f.transcodeBitrate),
    avg_bitrate_kbps: text(f.avgBitrate),
    total_transfer_mb: text(f.totalMib),
    uptime_seconds: text(f.uptime),
    active_clients: String(f.clients),
  };
  return sample(1, labels);
}

/** `dispatcharr_stream_info`'s labels: the metadata labels, then every figure as text. */
type LegacyStreamLabels = StreamMetadataLabels & {
  readonly profile_connections: string;
  readonly profile_max_connections: string;
  readonly fps: string;
  readonly video_bitrate_kbps: string;
  readonly transcode_bitrate_kbps: string;
  readonly avg_bitrate_kbps: string;
  readonly total_transfer_mb: string;
  readonly uptime_seconds: string;
  readonly active_clients: string;
};

export function legacyInfo(all: readonly StreamFigures[]): MetricFamily {
  const samples: Sample[] = [];
  for (const f of all) samples.push(legacySample(f));
  return gauge(
    'dispatcharr_stream_info',
    'Deprecated: active stream with all its values as labels (value always 1); use the dispatcharr_stream_* families',
    samples,
  );
}
