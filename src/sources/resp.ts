/**
 * A minimal RESP2 connection: encodes commands, parses replies, and sends pipelines (many commands,
 * one write, one wait). It knows nothing about which commands are safe; redis.ts decides that.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  override readonly name = 'RespError';
}

export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** One parsed reply and the offset just past it. */
export interface ParsedReply {
  readonly value: RespValue;
  readonly next: number;
}

/** A length or count line: a whole number (-1 for nil), else the stream is not RESP. */
function lengthOf(line: string): number {
  if (!/^-?\d{1,15}$/.test(line)) throw new RespError(`protocol error: bad length ${JSON.stringify(line.slice(0, 20))}`);
  return Number(line);
}

/**
 * Parses one reply starting at `offset`; returns undefined when the buffer does not hold all of it yet.
 * Throws RespError on a protocol error (unknown reply type, bad length, bulk string without its CRLF),
 * which is not a Redis error reply.
 */
export function parseReply(buffer: Buffer, offset: number): ParsedReply | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = lengthOf(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      if (buffer[afterLine + length] !== 13 || buffer[afterLine + length + 1] !== 10) {
        throw new RespError('protocol error: bulk string longer than its length');
      }
      return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = lengthOf(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespError(`protocol error: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** Reassembles replies from the chunks a socket delivers, however the bytes are split. */
export class ReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;

  push(chunk: Buffer): void {
    const rest = this.buffer.subarray(this.offset);
    this.buffer = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    this.offset = 0;
  }

  /** The next whole reply, or undefined until all of its bytes have arrived. Throws RespError on a protocol error. */
  next(): RespValue | undefined {
    const parsed = parseReply(this.buffer, this.offset);
    if (parsed === undefined) return undefined;
    this.offset = parsed.next;
    return parsed.value;
  }
}

export interface RespConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  /** Certificates and verification for TLS connections. */
  readonly tlsOptions?: ConnectionOptions;
  readonly connectTimeoutMs?: number;
}

interface Waiter {
  readonly count: number;
  readonly replies: RespValue[];
  resolve(replies: RespValue[]): void;
  reject(error: Error): void;
}

export class RespConnection {
  private readonly reader = new ReplyReader();
  private readonly waiters: Waiter[] = [];
  private closedWith: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(options: RespConnectOptions): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tlsConnect({
            ...options.tlsOptions,
            host: options.host,
            port: options.port,
            ...(isIP(options.host) === 0 && { servername: options.host }),
          })
        : netConnect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${options.host}:${options.port} timed out`));
      }, options.connectTimeoutMs ?? 3000);
      socket.setNoDelay(true);
      socket.once(options.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespConnection(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends every command in one write and resolves with the replies in order. Errors come back as RespError values. */
  pipeline(commands: readonly (readonly string[])[]): Promise<RespValue[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiters.push({ count: commands.length, replies: [], resolve, reject });
      this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    });
  }

  close(): void {
    this.fail(new Error('connection closed by the exporter'));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    try {
      for (let waiter = this.waiters[0]; waiter; waiter = this.waiters[0]) {
        const reply = this.reader.next();
        if (reply === undefined) break;
        waiter.replies.push(reply);
        if (waiter.replies.length === waiter.count) {
          this.waiters.shift();
          waiter.resolve(waiter.replies);
        }
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      this.socket.destroy();
    }
  }

  private fail(error: Error): void {
    if (!this.closedWith) this.closedWith = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
