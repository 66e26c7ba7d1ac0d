/** Test access to the throwaway Redis: a writer connection (the exporter's own source refuses writes). */
import { RespConnection, RespError, type RespValue } from '../../src/sources/resp.js';

export function redisUrl(): URL {
  const url = process.env['TEST_REDIS_URL'];
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests with `npm test`');
  return new URL(url);
}

/** A database no test writes to: the exporter's Redis when a test has no live state of its own. */
export const EMPTY_REDIS_DB = 15;
let nextDb = process.pid % 12;

/** A Redis database number (1 to 12; 13 is the plugin tests', 15 stays empty) for one test, so test files can share the server. */
export function allocateRedisDb(): number {
  return 1 + (nextDb++ % 12);
}

export interface RedisWriter {
  readonly db: number;
  run(...commands: string[][]): Promise<RespValue[]>;
  close(): void;
}

/** A writer on database `db` of the test Redis (or `url`), emptied first unless `flush` is false. */
export async function openRedisWriter(
  db: number,
  { url = redisUrl(), flush = true }: { url?: URL; flush?: boolean } = {},
): Promise<RedisWriter> {
  const connection = await RespConnection.open({ host: url.hostname, port: Number(url.port), connectTimeoutMs: 2000 });
  await connection.pipeline([['SELECT', String(db)], ...(flush ? [['FLUSHDB']] : [])]);
  return {
    db,
    async run(...commands) {
      const replies = await connection.pipeline(commands);
      const error = replies.find((r) => r instanceof RespError);
      if (error) throw error;
      return replies;
    },
    close: () => connection.close(),
  };
}

/** The exporter's environment for a Redis database of the test server. */
export function redisEnv(db: number): Record<string, string> {
  const url = redisUrl();
  return { REDIS_HOST: url.hostname, REDIS_PORT: url.port, REDIS_DB: String(db) };
}
