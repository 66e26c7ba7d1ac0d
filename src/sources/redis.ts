/**
 * The Redis connection: the exporter's own (never Dispatcharr's client), limited to read commands.
 * Anything else is refused here before it reaches the socket, so no code path can write or run an
 * administrative command.
 */
import type { RedisConfig } from '../config/settings.js';
import type { Logger } from '../log.js';
import { encodePipeline, RespConnection, RespError, type RespValue } from './resp.js';
import { nodeTlsOptions } from './tls.js';

const READ_ONLY_COMMANDS = new Set(['DBSIZE', 'SCAN', 'HMGET', 'SMEMBERS', 'MGET', 'GET', 'EXISTS', 'SCARD']);
/**
 * SCAN visits about this many hash-table buckets per call: one round trip walks a keyspace of up to
 * ~8,000 keys (a busy Dispatcharr holds roughly 230 buffer-chunk keys per live channel).
 */
const SCAN_COUNT = '10000';
const CONNECT_TIMEOUT_MS = 3000;

/** Read commands checked and encoded once, to be sent as they are in many scrapes (RedisSource.prepare). */
export class PreparedPipeline {
  private constructor(
    readonly encoded: Buffer,
    readonly count: number,
  ) {}

  static of(commands: readonly (readonly string[])[]): PreparedPipeline {
    for (const command of commands) refuseUnlessReadOnly(command);
    return new PreparedPipeline(encodePipeline(commands), commands.length);
  }
}

function refuseUnlessReadOnly(command: readonly string[]): void {
  const name = (command[0] ?? '').toUpperCase();
  if (!READ_ONLY_COMMANDS.has(name))
    throw new Error(`refused to send ${name || 'an empty command'} to Redis: only read commands are allowed`);
}

export class RedisSource {
  private connection: RespConnection | undefined;
  private connecting: Promise<RespConnection> | undefined;

  constructor(
    private readonly config: RedisConfig,
    private readonly logger: Logger,
  ) {}

  /** Network round trips since start, connection set-up included: one per pipeline. */
  roundTrips = 0;

  /** Runs read commands as one pipeline. A reply that is a Redis error (e.g. WRONGTYPE) comes back as RespError. */
  async pipeline(commands: readonly (readonly string[])[] | PreparedPipeline): Promise<RespValue[]> {
    const prepared = commands instanceof PreparedPipeline ? commands : PreparedPipeline.of(commands);
    if (prepared.count === 0) return [];
    const connection = await this.connect();
    try {
      this.roundTrips++;
      return await connection.send(prepared.encoded, prepared.count);
    } catch (error) {
      this.drop();
      throw error;
    }
  }

  /** Every key name in the database, de-duplicated (SCAN may return a key twice), in one page per round trip. */
  async scanAll(): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [reply] = await this.pipeline([['SCAN', cursor, 'COUNT', SCAN_COUNT]]);
      if (!Array.isArray(reply) || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) {
        throw new Error(`unexpected SCAN reply: ${reply instanceof Error ? reply.message : JSON.stringify(reply)}`);
      }
      cursor = reply[0];
      for (const key of reply[1]) if (typeof key === 'string') keys.add(key);
    } while (cursor !== '0');
    return [...keys];
  }

  close(): void {
    this.drop();
  }

  /** Drops the connection after a failure or a deadline; the next scrape opens a new one. */
  drop(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  private connect(): Promise<RespConnection> {
    if (this.connection && !this.connection.closed) return Promise.resolve(this.connection);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<RespConnection> {
    const { host, port, tls, tlsOptions, user, password, db } = this.config;
    const connection = await RespConnection.open({
      host,
      port,
      tls,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      ...(tlsOptions && { tlsOptions: nodeTlsOptions(tlsOptions) }),
    });
    const setup: string[][] = [];
    if (password !== undefined) setup.push(user ? ['AUTH', user, password] : ['AUTH', password]);
    if (db !== 0) setup.push(['SELECT', String(db)]);
    try {
      if (setup.length > 0) this.roundTrips++;
      const replies = await connection.pipeline(setup);
      const failure = replies.find((r): r is RespError => r instanceof RespError);
      // The server's message names the problem (WRONGPASS, NOAUTH, NOPERM); it never contains the password.
      if (failure) throw new Error(`Redis refused the connection set-up: ${failure.message}`);
    } catch (error) {
      connection.close();
      throw error;
    }
    this.logger.debug('connected to Redis', { host, port, db });
    this.connection = connection;
    return connection;
  }
}
