/** Per-viewer families (gate include_client_stats): data sent to each client, from Redis. */
import { counter, gauge, sample, type Sample } from '../exposition/family.js';
import { partValue, type LiveClient } from '../snapshot.js';
import { clientFamiliesV3 } from './clients-v3.js';
import { derived, KIBPS_TO_KBPS } from './units.js';
import type { Collector } from './collector.js';
import { channelLabels, liveStreams, parseAmount, parseNumber, secondsSince } from './live-view.js';

interface ClientRow {
  readonly client: LiveClient;
  readonly labels: { client_id: string; channel_uuid: string; channel_number: string };
}

function rate(text: string | undefined): number | undefined {
  const value = parseNumber(text);
  return value === undefined || value < 0 ? undefined : derived(value * KIBPS_TO_KBPS);
}

/** A client's figure, or undefined when it has none; `now` is the snapshot's time. */
type ClientFigure = (client: LiveClient, now: number) => number | undefined;

const connectedFor: ClientFigure = (c, now) => secondsSince(c.fields.connected_at, now);
const bytesSent: ClientFigure = (c) => parseAmount(c.fields.bytes_sent);
const averageRate: ClientFigure = (c) => rate(c.fields.avg_rate_KBps);
const currentRate: ClientFigure = (c) => rate(c.fields.current_rate_KBps);

function each(rows: readonly ClientRow[], figure: ClientFigure, now: number): Sample[] {
  const samples: Sample[] = [];
  for (const row of rows) {
    const v = figure(row.client, now);
    if (v !== undefined) samples.push(sample(v, row.labels));
  }
  return samples;
}

/** `dispatcharr_client_info`'s sample: user_id and username only when the client carries a user id. */
function infoSample({ client, labels }: ClientRow, usernames: Readonly<Record<string, string>>): Sample {
  const f = client.fields;
  const userId = f.user_id?.trim();
  const { client_id, channel_uuid, channel_number } = labels;
  const ip_address = f.ip_address || 'unknown';
  const user_agent = f.user_agent || 'unknown';
  const worker_id = f.worker_id || 'unknown';
  if (!userId || !/^\d+$/.test(userId) || userId === '0')
    return sample(1, { client_id, channel_uuid, channel_number, ip_address, user_agent, worker_id });
  const username = usernames[userId] ?? 'unknown';
  return sample(1, { client_id, channel_uuid, channel_number, ip_address, user_agent, worker_id, user_id: userId, username });
}

export const clientsCollector: Collector = {
  name: 'clients',
  needs: ['live', 'liveJoin'],
  gate: 'include_client_stats',
  collect(snapshot, settings) {
    const usernames = partValue(snapshot, 'liveJoin').usernames;
    if (settings.metrics_layout === 'v3') return clientFamiliesV3(snapshot, liveStreams(snapshot), usernames);
    // Label sets as object literals (no spread): a few thousand clients made spreading most of this collector's cost.
    const rows: ClientRow[] = [];
    for (const stream of liveStreams(snapshot)) {
      const { channel_uuid, channel_number } = channelLabels(stream.row);
      for (const client of stream.live.clients) rows.push({ client, labels: { client_id: client.id, channel_uuid, channel_number } });
    }
    const info: Sample[] = [];
    for (const row of rows) info.push(infoSample(row, usernames));
    const now = snapshot.time;
    return [
      gauge('dispatcharr_active_clients', 'Clients connected to live channels (client records that have expired are not counted)', [
        sample(rows.length),
      ]),
      gauge(
        'dispatcharr_client_info',
        'Connected client details (value always 1); user_id and username appear when Dispatcharr knows the user',
        info,
      ),
      gauge('dispatcharr_client_connection_duration_seconds', 'Seconds since the client connected', each(rows, connectedFor, now)),
      counter('dispatcharr_client_bytes_sent', 'Bytes Dispatcharr has sent to the client (MPEG-TS clients)', each(rows, bytesSent, now)),
      gauge(
        'dispatcharr_client_avg_transfer_rate_kbps',
        'Average rate of data sent to the client since it connected, in kbps (1000 bits per second)',
        each(rows, averageRate, now),
      ),
      gauge(
        'dispatcharr_client_current_transfer_rate_kbps',
        'Rate of data sent to the client over its last chunk, in kbps (1000 bits per second)',
        each(rows, currentRate, now),
      ),
    ];
  },
};
