/**
 * The live moment of a large installation, written with the tests' fixture writers (startChannel, connectClient,
 * startVod) through a coalescing writer: channels spread over the bulk channels, each playing the first stream of
 * its failover list (every seventh has failed over to the second) on the default profile of that stream's
 * provider, half of them through ffmpeg, with their viewers, their input buffer chunks, and VOD sessions.
 */
import type { BulkContent } from '../../test/fixtures/bulk-dataset.js';
import { writeInBulk } from '../../test/fixtures/bulk-writer.js';
import type { SeededDataset } from '../../test/fixtures/dataset.js';
import { connectClient, startChannel, startVod } from '../../test/fixtures/redis-writer.js';
import type { TestDatabase } from '../../test/support/database.js';
import type { RedisWriter } from '../../test/support/redis.js';

export interface LiveLoad {
  readonly channels: number;
  readonly clientsPerChannel: number;
  /** Buffer chunk keys per channel, as the proxy keeps them (startChannel's bufferChunks). */
  readonly chunksPerChannel: number;
  readonly vodSessions: number;
}

interface LiveChannelRow {
  id: string;
  uuid: string;
  primary_stream: string;
  backup_stream: string | null;
  profile_id: string;
  capped: boolean;
}

const USER_AGENTS = ['VLC/3.0.20 LibVLC/3.0.20', 'TiviMate/5.1.6 (Android 12)', 'Kodi/21.0 (Linux; Android 11)', 'Lavf/60.16.100'];
/** Client ids as Dispatcharr makes them: client_<ms since the epoch>_<random>. */
const CLIENT_EPOCH_MS = 1_764_000_000_000;

/** `count` bulk channels ("Channel n"), evenly spread, with what the proxy would have reserved for them. */
async function liveChannels(db: TestDatabase, count: number): Promise<LiveChannelRow[]> {
  const result = await db.client.query<LiveChannelRow>(
    `WITH c AS (SELECT id, uuid, row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS total
                  FROM dispatcharr_channels_channel WHERE name LIKE 'Channel %')
     SELECT c.id::text AS id, c.uuid::text AS uuid, s0.stream_id::text AS primary_stream, s1.stream_id::text AS backup_stream,
            p.id::text AS profile_id, p.max_streams > 0 AS capped
       FROM c
       JOIN dispatcharr_channels_channelstream s0 ON s0.channel_id = c.id AND s0."order" = 0
       LEFT JOIN dispatcharr_channels_channelstream s1 ON s1.channel_id = c.id AND s1."order" = 1
       JOIN dispatcharr_channels_stream st ON st.id = s0.stream_id
       JOIN m3u_m3uaccountprofile p ON p.m3u_account_id = st.m3u_account_id AND p.is_default
      WHERE c.n % greatest(c.total / $1::int, 1) = 0
      ORDER BY c.id LIMIT $1::int`,
    [count],
  );
  if (result.rows.length < count) throw new Error(`only ${result.rows.length} channels can be live, ${count} wanted`);
  return result.rows;
}

export async function writeLiveLoad(
  redis: RedisWriter,
  db: TestDatabase,
  base: SeededDataset,
  content: BulkContent,
  load: LiveLoad,
): Promise<void> {
  if (load.channels === 0 && load.vodSessions === 0) return;
  const now = Date.now() / 1000;
  const channels = load.channels > 0 ? await liveChannels(db, load.channels) : [];
  const users = content.userIds;
  await writeInBulk(redis, [...channels.entries()], async (writer, [i, channel]) => {
    const ffmpeg = i % 2 === 1;
    await startChannel(writer, {
      prefix: 'live:',
      channelId: channel.id,
      uuid: channel.uuid,
      streamId: channel.primary_stream,
      ...(i % 7 === 0 && channel.backup_stream !== null && { failoverStreamId: channel.backup_stream }),
      m3uProfileId: channel.profile_id,
      profileCapped: channel.capped,
      streamProfileId: ffmpeg ? base.streamProfiles.ffmpeg : base.streamProfiles.proxy,
      initTime: now - 600 - i * 11,
      totalBytes: 37_000_000 * (i + 1),
      bufferChunks: load.chunksPerChannel,
      ...(ffmpeg && { ffmpeg: { codec: 'h264', resolution: '1920x1080', fps: '25.0', videoBitrate: '6500.0', speed: '1.01' } }),
    });
    for (let c = 0; c < load.clientsPerChannel; c++) {
      const n = i * load.clientsPerChannel + c;
      await connectClient(writer, {
        prefix: 'live:',
        uuid: channel.uuid,
        clientId: `client_${CLIENT_EPOCH_MS + n * 137}_${1000 + (n % 9000)}`,
        ip: `10.${(i >> 8) & 255}.${i & 255}.${c + 1}`,
        userAgent: USER_AGENTS[n % USER_AGENTS.length] ?? 'VLC/3.0.20',
        connectedAt: now - 30 - c * 45,
        userId: c === 0 || users.length === 0 ? '0' : (users[n % users.length] ?? '0'),
        ...(c % 4 !== 3 && { stats: { bytesSent: 2_000_000 * (c + 1), avgKiBps: '812.5', currentKiBps: '790.0' } }),
      });
    }
  });
  const playable = content.vod;
  if (playable.length === 0) return;
  await writeInBulk(redis, [...Array(load.vodSessions).keys()], async (writer, n) => {
    const item = playable[(n * 7) % playable.length];
    if (!item) return;
    await startVod(writer, {
      sessionId: `vod_${CLIENT_EPOCH_MS + n * 211}_${2000 + n}`,
      m3uProfileId: item.profileId,
      profileCapped: item.capped,
      activeStreams: n % 10 === 9 ? 0 : 1,
      createdAt: now - 120 - n * 13,
      userId: users.length === 0 ? '0' : (users[n % users.length] ?? '0'),
      content: { type: item.type, uuid: item.uuid, name: item.name },
    });
  });
}
