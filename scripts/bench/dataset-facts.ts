/** What a written dataset holds, counted where it lives: rows in PostgreSQL, keys in Redis. */
import type { TestDatabase } from '../../test/support/database.js';
import type { RedisWriter } from '../../test/support/redis.js';

const TABLES: Readonly<Record<string, string>> = {
  'M3U accounts': 'm3u_m3uaccount',
  'M3U profiles': 'm3u_m3uaccountprofile',
  channels: 'dispatcharr_channels_channel',
  streams: 'dispatcharr_channels_stream',
  'channel-stream links': 'dispatcharr_channels_channelstream',
  'EPG sources': 'epg_epgsource',
  programmes: 'epg_programdata',
  users: 'accounts_user',
  'VOD movies': 'vod_movie',
  'VOD episodes': 'vod_episode',
};

export async function countRows(db: TestDatabase): Promise<Record<string, number>> {
  const selects = Object.entries(TABLES).map(
    ([label, table], i) => `SELECT ${i} AS i, ${db.client.escapeLiteral(label)} AS label, count(*)::int AS n FROM ${table}`,
  );
  const result = await db.client.query<{ label: string; n: number }>(`${selects.join(' UNION ALL ')} ORDER BY i`);
  return Object.fromEntries(result.rows.map((row) => [row.label, row.n]));
}

/** Sorts every key of the writer's database by kind, in one walk. */
export async function countKeys(redis: RedisWriter): Promise<Record<string, number>> {
  const counts = { 'all keys': 0, 'live channel metadata': 0, 'client hashes': 0, 'buffer chunks': 0, 'VOD sessions': 0, other: 0 };
  let cursor = '0';
  do {
    const [reply] = await redis.run(['SCAN', cursor, 'COUNT', '10000']);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) throw new Error('unexpected SCAN reply');
    cursor = reply[0];
    for (const key of reply[1]) {
      if (typeof key !== 'string') continue;
      counts['all keys']++;
      if (/^(live|ts_proxy):channel:[^:]+:metadata$/.test(key)) counts['live channel metadata']++;
      else if (/^(live|ts_proxy):channel:[^:]+:clients:./.test(key)) counts['client hashes']++;
      else if (key.includes(':chunk:')) counts['buffer chunks']++;
      else if (key.startsWith('vod_persistent_connection:')) counts['VOD sessions']++;
      else counts.other++;
    }
  } while (cursor !== '0');
  return counts;
}
