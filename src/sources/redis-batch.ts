/**
 * A pipelined batch of Redis reads in which every command is queued with the function that decodes its
 * own reply, so adding a read cannot shift the replies of the others.
 *
 * A decoder is a function made once (at module level) that gets what it needs to know as `context`, rather than a
 * closure made per command: V8 holds a closure's optimized code only while a closure of it lives, so closures made per
 * scrape for thousands of commands were optimized again by every scrape (README, "Hot code lives at module level").
 */
import type { RedisSource } from './redis.js';
import type { RespValue } from './resp.js';

export type Decoder<T, C> = (reply: RespValue, context: C) => T;

/** A queued command's decoded reply; readable once the batch has run. */
export class Slot<T> {
  private settled = false;
  private result: T | undefined;

  constructor(
    private readonly name: string,
    private readonly decode: Decoder<T, unknown>,
    private readonly context: unknown,
  ) {}

  /** A slot that holds `value` already, for a command that need not be sent. */
  static of<T>(value: T): Slot<T> {
    const slot = new Slot<T>('', () => value, undefined);
    slot.settle(null);
    return slot;
  }

  settle(reply: RespValue): void {
    this.result = this.decode(reply, this.context);
    this.settled = true;
  }

  get(): T {
    if (!this.settled) throw new Error(`${this.name} was read before its batch ran`);
    return this.result as T;
  }
}

export class Batch {
  private commands: (readonly string[])[] = [];
  private slots: Slot<unknown>[] = [];

  /** Queues a command. A Redis error reply (RespError) is handed to `decode` like any other reply. */
  add<T, C>(command: readonly string[], decode: Decoder<T, C>, context: C): Slot<T> {
    const slot = new Slot<T>(command[0] ?? '', decode as Decoder<T, unknown>, context);
    this.commands.push(command);
    this.slots.push(slot);
    return slot;
  }

  /** Sends every queued command as one pipeline (one round trip; none when empty) and decodes each reply. */
  async run(redis: Pick<RedisSource, 'pipeline'>): Promise<void> {
    const sent = this.commands.length;
    if (sent === 0) return;
    // The batch is emptied as it is sent: its argument lists are not kept while the replies are awaited (thousands of
    // them would outlive a few collections of the young generation and be copied to the old one, for nothing once
    // encoded), and commands added afterwards go out, with their own decoders, in a run of their own.
    const { commands, slots } = this;
    this.commands = [];
    this.slots = [];
    const replies = await redis.pipeline(commands);
    if (replies.length !== sent) throw new Error(`Redis sent ${replies.length} replies to ${sent} commands`);
    for (let i = 0; i < sent; i++) slots[i]?.settle(replies[i] as RespValue);
  }
}
