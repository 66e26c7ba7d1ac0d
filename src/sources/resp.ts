/**
 * A minimal RESP2 connection: sends pipelines (many commands, one write, one wait) and hands back their replies
 * (resp-codec.ts encodes and parses). It knows nothing about which commands are safe; redis.ts decides that.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

import { encodePipeline, ReplyReader, type RespValue } from './resp-codec.js';

export { encodeCommand, encodePipeline, parseReply, type ParsedReply, ReplyReader, RespError, type RespValue } from './resp-codec.js';

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

const EMPTY = Buffer.alloc(0);

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
    return this.send(commands.length === 0 ? EMPTY : encodePipeline(commands), commands.length);
  }

  /** Sends `count` commands already encoded (encodePipeline) and resolves with their replies in order. */
  send(encoded: Buffer, count: number): Promise<RespValue[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (count === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiters.push({ count, replies: [], resolve, reject });
      this.socket.write(encoded);
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
