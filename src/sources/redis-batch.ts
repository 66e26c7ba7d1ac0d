/**
 * A pipelined batch of Redis reads in which every command is queued with the function that decodes its
 * own reply, so adding a read cannot shift the replies of the others.
 */
import type { RedisSource } from './redis.js';
import type { RespValue } from './resp.js';

/** A queued command's decoded reply; readable once the batch has run. */
export type Slot<T> = () => T;

export class Batch {
  private readonly commands: (readonly string[])[] = [];
  private readonly decoders: ((reply: RespValue) => void)[] = [];

  /** Queues a command. A Redis error reply (RespError) is handed to `decode` like any other reply. */
  add<T>(command: readonly string[], decode: (reply: RespValue) => T): Slot<T> {
    let result: { value: T } | undefined;
    this.commands.push(command);
    this.decoders.push((reply) => {
      result = { value: decode(reply) };
    });
    return () => {
      if (!result) throw new Error(`${command[0]} was read before its batch ran`);
      return result.value;
    };
  }

  /** Sends every queued command as one pipeline (one round trip; none when empty) and decodes each reply. */
  async run(redis: Pick<RedisSource, 'pipeline'>): Promise<void> {
    if (this.commands.length === 0) return;
    const replies = await redis.pipeline(this.commands);
    if (replies.length !== this.commands.length) {
      throw new Error(`Redis sent ${replies.length} replies to ${this.commands.length} commands`);
    }
    for (const [i, reply] of replies.entries()) this.decoders[i]?.(reply);
  }
}
