/**
 * The live parts of a demo snapshot, shaped as the Redis reader and the database join would return them: the
 * channels' metadata and clients' hashes as Dispatcharr's proxy writes them (numbers as text), VOD sessions,
 * and the rows of the live channels joined with the database.
 */
import { CLIENT_KINDS, checkFields, METADATA_KINDS, VOD_KINDS } from '../sources/field-checks.js';
import type { SkipRecorder } from '../skips.js';
import type { ClientField, Fields, LiveChannel, LiveChannelRow, LiveJoin, LiveState, MetadataField, VodSession } from '../snapshot.js';
import { bytesAfter, rateAt } from './flows.js';
import type { DemoClient, DemoLiveChannel } from './simulation.js';
import { type DemoVodSession, streaming } from './vod-sessions.js';
import { ACCOUNTS, PROFILES } from './world-providers.js';
import { USERS } from './world-people.js';

/** Dispatcharr 0.25+'s prefix of the live keys. */
const PREFIX = 'live:';
/** Until then a new channel is initializing, then connecting; ffmpeg reports once it is connected. */
const INITIALIZING_SECONDS = 2;
const CONNECTING_SECONDS = 5;
/** The proxy writes a client's byte counts after its first chunks. */
const CLIENT_STATS_AFTER_SECONDS = 5;
/** Keys of Dispatcharr's other work in Redis (Celery, locks, caches) that a scan walks past. */
const OTHER_KEYS = 57;

const seconds = (time: number): string => time.toFixed(6);
const oneDecimal = (value: number): string => value.toFixed(1);

function channelState(live: DemoLiveChannel, time: number): string {
  const age = time - live.startedAt;
  if (age < INITIALIZING_SECONDS) return 'initializing';
  if (age < CONNECTING_SECONDS) return 'connecting';
  if (live.clients.length === 0) return 'waiting_for_clients';
  return live.slowUntil > time ? 'buffering' : 'active';
}

/** ffmpeg's speed: about real time, wandering a little, well below it while the channel falls behind. */
function ffmpegSpeed(live: DemoLiveChannel, time: number): number {
  const wander = Math.sin(time / 37 + live.flow.phase);
  return live.slowUntil > time ? 0.78 + 0.06 * wander : 1.0 + 0.025 * wander;
}

function metadata(live: DemoLiveChannel, time: number): Fields<MetadataField> {
  const { channel } = live;
  const age = time - live.startedAt;
  const fields: { [K in MetadataField]?: string } = {
    state: channelState(live, time),
    init_time: seconds(live.startedAt),
    stream_id: channel.streams[live.position]?.id ?? '',
    m3u_profile: live.profileId,
    stream_profile: channel.streamProfile.id,
    total_bytes: String(bytesAfter(live.flow, age)),
  };
  if (live.switchedAt !== null) {
    fields.stream_switch_time = seconds(live.switchedAt);
    fields.stream_switch_reason = 'max_retries_exceeded';
  }
  if (age < CONNECTING_SECONDS || channel.streamProfile.reports === 'nothing') return fields;
  Object.assign(fields, {
    source_fps: channel.video.fps,
    video_bitrate: oneDecimal(channel.video.kbps),
    ffmpeg_speed: ffmpegSpeed(live, time).toFixed(2),
    video_codec: channel.video.codec,
    resolution: channel.video.resolution,
  });
  if (channel.streamProfile.reports === 'source-and-output') {
    fields.ffmpeg_output_bitrate = oneDecimal((rateAt(live.flow, age) * 8) / 1000);
  }
  return fields;
}

function clientFields(client: DemoClient, time: number): Fields<ClientField> {
  const fields: { [K in ClientField]?: string } = {
    ip_address: client.household.ip,
    user_agent: client.household.userAgent,
    worker_id: client.workerId,
    connected_at: seconds(client.connectedAt),
    user_id: client.household.userId,
  };
  const elapsed = time - client.connectedAt;
  if (elapsed < CLIENT_STATS_AFTER_SECONDS) return fields;
  const sent = bytesAfter(client.flow, elapsed);
  fields.bytes_sent = String(sent);
  fields.avg_rate_KBps = oneDecimal(sent / elapsed / 1024);
  fields.current_rate_KBps = oneDecimal(rateAt(client.flow, elapsed) / 1024);
  return fields;
}

function vodSession(session: DemoVodSession, time: number): VodSession {
  const { title, household } = session;
  return {
    id: session.id,
    fields: {
      m3u_profile_id: session.profileId,
      active_streams: streaming(session, time) ? '1' : '0',
      created_at: seconds(session.createdAt),
      user_id: household.userId,
      content_obj_type: title.kind,
      content_uuid: title.uuid,
      content_name: title.name,
      client_ip: household.ip,
      client_user_agent: household.userAgent,
      worker_id: session.workerId,
      bytes_sent: String(bytesAfter(session.flow, time - session.createdAt)),
    },
  };
}

/** What the Redis reader would return at `time`; malformed values (as the reader judges them) go to `skips`. */
export function liveState(
  channels: readonly DemoLiveChannel[],
  sessions: readonly DemoVodSession[],
  time: number,
  skips: SkipRecorder,
): LiveState {
  const live: LiveChannel[] = channels.map((c) => {
    const key = `${PREFIX}channel:${c.channel.uuid}`;
    const meta = metadata(c, time);
    checkFields(METADATA_KINDS, meta, `${key}:metadata`, time, skips);
    const clients = c.clients.map((client) => ({ id: client.id, fields: clientFields(client, time) }));
    for (const client of clients) checkFields(CLIENT_KINDS, client.fields, `${key}:clients:${client.id}`, time, skips);
    // The proxy's last chunk from the provider: a moment ago, or seconds ago while ffmpeg falls behind.
    const wobble = Math.abs(Math.sin(time + c.flow.phase));
    const lag = Math.min(time - c.startedAt, c.slowUntil > time ? 2 + 3 * wobble : 0.2 + 0.6 * wobble);
    return { uuid: c.channel.uuid, metadata: meta, clients, lastData: seconds(time - lag) };
  });
  const vodSessions = sessions.map((s) => vodSession(s, time));
  for (const session of vodSessions) checkFields(VOD_KINDS, session.fields, `vod_persistent_connection:${session.id}`, time, skips);
  const busy = live.length + vodSessions.length > 0;
  const keyspace = OTHER_KEYS + vodSessions.length + live.reduce((sum, c) => sum + 5 + c.clients.length, 0);
  return {
    channels: live,
    vodSessions,
    reservedStreams: Object.fromEntries(channels.map((c) => [c.channel.id, Number(c.channel.streams[c.position]?.id)])),
    streamProfiles: Object.fromEntries(channels.map((c) => [c.channel.streams[c.position]?.id, Number(c.profileId)])),
    // One SCAN page, then the two pipelined batches the reader sends when anything is live.
    roundTrips: busy ? 3 : 1,
    discovery: { mode: 'scan', keyspace },
  };
}

/** The live channels joined with the database (names, providers, profiles, failover position). */
export function liveJoin(channels: readonly DemoLiveChannel[], sessions: readonly DemoVodSession[]): LiveJoin {
  const rows: LiveChannelRow[] = channels.map(({ channel, position, profileId }) => {
    const stream = channel.streams[position];
    const account = ACCOUNTS.find((a) => a.id === stream?.accountId);
    const profile = PROFILES.find((p) => p.id === profileId);
    return {
      uuid: channel.uuid,
      name: channel.name,
      number: channel.number,
      logoId: channel.logoId,
      groupName: channel.group,
      streamId: stream?.id ?? null,
      streamName: stream?.name ?? null,
      provider: account?.name ?? null,
      providerType: account?.type ?? null,
      profileId,
      profileName: profile?.name ?? null,
      profileMaxStreams: profile?.maxStreams ?? null,
      streamProfile: channel.streamProfile.name,
      position,
      availableStreams: channel.streams.length,
    };
  });
  const ids = new Set(
    [...channels.flatMap((c) => c.clients.map((client) => client.household)), ...sessions.map((s) => s.household)].map((h) => h.userId),
  );
  const usernames = Object.fromEntries(USERS.filter((u) => ids.has(u.id)).map((u) => [u.id, u.username]));
  return { channels: rows, usernames };
}
