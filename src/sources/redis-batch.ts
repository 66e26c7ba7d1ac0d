/**
 * A pipelined batch of Redis reads in which every command is queued with the function that decodes its
 * own reply, so adding a read cannot shift the replies of the others.
 */
import type { RedisSource } from './redis.js';
import type { RespValue } from './resp.js';

/** A queued command's decoded reply; readable once the batch has run. */
export type Slot<T> = () => T;

export class Batch {
  private commands: (readonly string[])[] = [];
  private decoders: ((reply: RespValue) => void)[] = [];

  /** Queues a command. A Redis error reply (RespError) is handed to `decode` like any other reply. */
  add<T>(command: readonly string[], decode: (reply: RespValue) => T): Slot<T> {
    let result: { value: T } | undefined;
    const name = command[0];
    this.commands.push(command);
    this.decoders.push((reply) => {
      result = { value: decode(reply) };
    });
    return () => {
      if (!result) throw new Error(`${name} was read before its batch ran`);
      return result.value;
    };
  }

  /** Sends every queued command as one pipeline (one round trip; none when empty) and decodes each reply. */
  async run(redis: Pick<RedisSource, 'pipeline'>): Promise<void> {
    const sent = this.commands.length;
    if (sent === 0) return;
    // The batch is emptied as it is sent: its argument lists are not kept while the replies are awaited (thousands of
    // them would outlive a few collections of the young generation and be copied to the old one, for nothing once
    // encoded), and commands added afterwards go out, with their own decoders, in a run of their own.
    const { commands, decoders } = this;
    this.commands = [];
    this.decoders = [];
    const replies = await redis.pipeline(commands);
    if (replies.length !== sent) throw new Error(`Redis sent ${replies.length} replies to ${sent} commands`);
    for (const [i, reply] of replies.entries()) decoders[i]?.(reply);
  }
}
