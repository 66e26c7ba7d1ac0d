/**
 * The client families in the original plugin's v3 layout (metrics_layout=v3): a `type` label, live
 * channel clients and VOD sessions together, rates in bits per second, and every viewer's user (`0` /
 * `anonymous` when not logged in).
 */
import { counter, gauge, type MetricFamily, sample } from '../exposition/family.js';
import type { LiveClient, Snapshot } from '../snapshot.js';
import { figureSamples, infoSamples } from './samples.js';
import { BITS_PER_KBIT, derived, KIBPS_TO_KBPS } from './units.js';
import { channelLabels, type LiveStream, parseAmount, parseNumber, secondsSince, type VodStream, vodStreams } from './live-view.js';

const ANONYMOUS = { user_id: '0', username: 'anonymous' } as const;

interface ClientFigures {
  readonly labels: { type: 'live' | 'vod'; client_id: string; channel_uuid: string; channel_number: string };
  readonly info: Record<string, string>;
  readonly duration?: number;
  readonly bytesSent?: number;
  readonly avgBps?: number;
  readonly currentBps?: number;
}

/** KiB/s as Dispatcharr stores client rates, in bits per second. */
function bps(text: string | undefined): number | undefined {
  const value = parseNumber(text);
  return value === undefined || value < 0 ? undefined : derived(value * KIBPS_TO_KBPS * BITS_PER_KBIT);
}

function user(userId: string | undefined, usernames: Readonly<Record<string, string>>): { user_id: string; username: string } {
  const id = userId?.trim();
  return id && /^\d+$/.test(id) && id !== '0' ? { user_id: id, username: usernames[id] ?? 'unknown' } : ANONYMOUS;
}

/** A live channel's client, in the v3 units. */
function liveClient(stream: LiveStream, client: LiveClient, usernames: Readonly<Record<string, string>>, now: number): ClientFigures {
  const f = client.fields;
  const labels = { type: 'live' as const, client_id: client.id, ...channelLabels(stream.row) };
  const info = {
    ...labels,
    ...user(f.user_id, usernames),
    ip_address: f.ip_address ?? '',
    user_agent: f.user_agent ?? '',
    worker_id: f.worker_id ?? '',
  };
  const duration = secondsSince(f.connected_at, now);
  const bytesSent = parseAmount(f.bytes_sent);
  const avgBps = bps(f.avg_rate_KBps);
  const currentBps = bps(f.current_rate_KBps);
  return {
    labels,
    info,
    ...(duration !== undefined && { duration }),
    ...(bytesSent !== undefined && { bytesSent }),
    ...(avgBps !== undefined && { avgBps }),
    ...(currentBps !== undefined && { currentBps }),
  };
}

/** A VOD session is one client; its rate is the average since it started (Dispatcharr keeps no current rate for VOD). */
function vodClient(vod: VodStream, usernames: Readonly<Record<string, string>>): ClientFigures {
  const f = vod.fields;
  const labels = { type: 'vod' as const, client_id: vod.id, channel_uuid: vod.id, channel_number: vod.number };
  const info = {
    ...labels,
    ...user(f.user_id, usernames),
    content_uuid: f.content_uuid ?? '',
    channel_name: f.content_name ?? '',
    content_type: f.content_obj_type ?? '',
    ip_address: f.client_ip ?? '',
    user_agent: f.client_user_agent ?? '',
    worker_id: f.worker_id ?? '',
  };
  const bytesSent = parseAmount(f.bytes_sent);
  const avgBps = bytesSent !== undefined && vod.uptime ? derived((bytesSent * 8) / vod.uptime) : undefined;
  return {
    labels,
    info,
    ...(vod.uptime !== undefined && { duration: vod.uptime }),
    ...(bytesSent !== undefined && { bytesSent }),
    ...(avgBps !== undefined && { avgBps, currentBps: avgBps }),
  };
}

export function clientFamiliesV3(
  snapshot: Snapshot,
  streams: readonly LiveStream[],
  usernames: Readonly<Record<string, string>>,
): MetricFamily[] {
  const all: ClientFigures[] = [];
  for (const stream of streams) for (const client of stream.live.clients) all.push(liveClient(stream, client, usernames, snapshot.time));
  for (const vod of vodStreams(snapshot)) all.push(vodClient(vod, usernames));
  return [
    gauge('dispatcharr_active_clients', 'Clients of live channels plus VOD sessions with an open response', [sample(all.length)]),
    gauge(
      'dispatcharr_client_info',
      'Connected client details (value always 1); user_id 0 and username anonymous when not logged in',
      infoSamples(all, 'info'),
    ),
    gauge('dispatcharr_client_connection_duration_seconds', 'Seconds since the client connected', figureSamples(all, 'duration')),
    counter(
      'dispatcharr_client_bytes_sent',
      'Bytes Dispatcharr has sent to the client (VOD: of the current request)',
      figureSamples(all, 'bytesSent'),
    ),
    gauge(
      'dispatcharr_client_avg_transfer_rate_bps',
      'Average rate of data sent to the client, in bits per second (KiB/s x 8192)',
      figureSamples(all, 'avgBps'),
    ),
    gauge(
      'dispatcharr_client_current_transfer_rate_bps',
      'Rate of data sent to the client over its last chunk, in bits per second (VOD: the average)',
      figureSamples(all, 'currentBps'),
    ),
  ];
}
