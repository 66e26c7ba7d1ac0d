/** The fields of Dispatcharr's Redis hashes that the exporter reads, and the shape of what it reads. */

/** Fields of a live channel's metadata hash that the exporter reads (never `url` or `user_agent`). */
export const METADATA_FIELDS = [
  'state',
  'init_time',
  'stream_id',
  'm3u_profile',
  'stream_profile',
  'total_bytes',
  'source_fps',
  'video_bitrate',
  'ffmpeg_output_bitrate',
  'ffmpeg_speed',
  'video_codec',
  'resolution',
  'stream_switch_time',
  'stream_switch_reason',
] as const;
export type MetadataField = (typeof METADATA_FIELDS)[number];

/** Fields of a live client's hash that the exporter reads. */
export const CLIENT_FIELDS = [
  'ip_address',
  'user_agent',
  'worker_id',
  'connected_at',
  'bytes_sent',
  'avg_rate_KBps',
  'current_rate_KBps',
  'user_id',
] as const;
export type ClientField = (typeof CLIENT_FIELDS)[number];

/** Fields of a VOD connection hash that the exporter reads (never `stream_url`, `final_url` or `headers`). */
export const VOD_FIELDS = [
  'm3u_profile_id',
  'active_streams',
  'created_at',
  'user_id',
  'content_obj_type',
  'content_uuid',
  'content_name',
  'client_ip',
  'client_user_agent',
  'worker_id',
  'bytes_sent',
] as const;
export type VodField = (typeof VOD_FIELDS)[number];

export type Fields<F extends string> = { readonly [K in F]?: string };
