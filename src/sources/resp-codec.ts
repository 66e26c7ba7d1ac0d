/**
 * RESP2 on the wire: commands encoded as one buffer per pipeline, and replies parsed incrementally, so a large reply
 * (a SCAN page, a pipeline of thousands of replies) arriving in many socket chunks is read once, not again from its
 * start at every chunk.
 */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  override readonly name = 'RespError';
}

/** Arguments this short (field names, small numbers) repeat across a pipeline's commands: encoded once per pipeline. */
const SHORT_ARGUMENT = 24;

/** `*<n>\r\n` and `$<n>\r\n` for the small counts and lengths nearly every command has, made once. */
const HEADERS_CACHED = 512;
const arrayHeaders: string[] = [];
const lengthHeaders: string[] = [];

function cachedHeader(cache: string[], mark: '*' | '$', n: number): string {
  if (n >= HEADERS_CACHED) return `${mark}${n}\r\n`;
  let header = cache[n];
  if (header === undefined) {
    header = `${mark}${n}\r\n`;
    cache[n] = header;
  }
  return header;
}

const arrayHeader = (count: number): string => cachedHeader(arrayHeaders, '*', count);
const lengthHeader = (bytes: number): string => cachedHeader(lengthHeaders, '$', bytes);

function encodeArgument(arg: string): string {
  return `${lengthHeader(Buffer.byteLength(arg, 'utf8'))}${arg}\r\n`;
}

export function encodeCommand(args: readonly string[]): Buffer {
  return encodePipeline([args]);
}

/**
 * Commands encoded into one buffer at a time: a pipeline of thousands holds only these commands' texts at once, so
 * they die young instead of living (and being copied by the garbage collector) until the whole pipeline is encoded.
 */
const COMMANDS_PER_PIECE = 256;

/**
 * Every command of a pipeline in one buffer, a few hundred commands at a time, each joined once from the pieces of
 * its commands (headers, arguments as they are, encoded short arguments) rather than concatenated piece by piece.
 */
export function encodePipeline(commands: readonly (readonly string[])[]): Buffer {
  const short = new Map<string, string>();
  const pieces: Buffer[] = [];
  const texts: string[] = [];
  let inPiece = 0;
  for (const args of commands) {
    texts.push(arrayHeader(args.length));
    for (const arg of args) {
      if (arg.length > SHORT_ARGUMENT) {
        texts.push(lengthHeader(Buffer.byteLength(arg, 'utf8')), arg, '\r\n');
        continue;
      }
      let encoded = short.get(arg);
      if (encoded === undefined) {
        encoded = encodeArgument(arg);
        short.set(arg, encoded);
      }
      texts.push(encoded);
    }
    if (++inPiece === COMMANDS_PER_PIECE) {
      pieces.push(Buffer.from(texts.join(''), 'utf8'));
      texts.length = 0;
      inPiece = 0;
    }
  }
  const last = Buffer.from(texts.join(''), 'utf8');
  return pieces.length === 0 ? last : Buffer.concat([...pieces, last]);
}

/** One parsed reply and the offset just past it. */
export interface ParsedReply {
  readonly value: RespValue;
  readonly next: number;
}

const CR = 13;
const LF = 10;
const MINUS = 45;

function badLength(buffer: Buffer, start: number, end: number): RespError {
  return new RespError(`protocol error: bad length ${JSON.stringify(buffer.toString('utf8', start, Math.min(end, start + 20)))}`);
}

/** A length or count line, read from the bytes: a whole number (-1 for nil), else the stream is not RESP. */
function lengthAt(buffer: Buffer, start: number, end: number): number {
  let i = start;
  const negative = buffer[i] === MINUS;
  if (negative) i++;
  if (i === end || end - i > 15) throw badLength(buffer, start, end);
  let value = 0;
  for (; i < end; i++) {
    const digit = (buffer[i] ?? 0) - 48;
    if (digit < 0 || digit > 9) throw badLength(buffer, start, end);
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** An array whose items are still being read. */
interface Frame {
  readonly items: RespValue[];
  remaining: number;
}

/**
 * Reads replies element by element and remembers the arrays it is inside, so parsing resumes where the bytes ran out.
 * Throws RespError on a protocol error (unknown reply type, bad length, bulk string without its CRLF), which is not a
 * Redis error reply.
 */
class IncrementalParser {
  private readonly frames: Frame[] = [];
  /** Bytes the element being read needs from its start, when known (a bulk string): no use trying before then. */
  needed = 0;

  /** The next whole reply in `buffer` from `offset`, or undefined with `offset` left at the first unread element. */
  parse(buffer: Buffer, position: { offset: number }): RespValue | undefined {
    for (;;) {
      const start = position.offset;
      // A line ends at its first CR (no RESP line holds one); a byte search, much cheaper than looking for "\r\n".
      const lineEnd = buffer.indexOf(CR, start);
      if (lineEnd === -1 || lineEnd + 1 >= buffer.length) return undefined;
      if (buffer[lineEnd + 1] !== LF) throw new RespError('protocol error: carriage return without line feed');
      const type = buffer[start];
      const afterLine = lineEnd + 2;
      let value: RespValue;
      if (type === 36 /* $ */) {
        const length = lengthAt(buffer, start + 1, lineEnd);
        if (length < 0) value = null;
        else {
          if (buffer.length < afterLine + length + 2) {
            this.needed = afterLine + length + 2 - start;
            return undefined;
          }
          if (buffer[afterLine + length] !== CR || buffer[afterLine + length + 1] !== LF) {
            throw new RespError('protocol error: bulk string longer than its length');
          }
          value = buffer.toString('utf8', afterLine, afterLine + length);
          position.offset = afterLine + length + 2;
          this.needed = 0;
          const done = this.settle(value);
          if (done !== undefined) return done.value;
          continue;
        }
      } else if (type === 42 /* * */) {
        const count = lengthAt(buffer, start + 1, lineEnd);
        if (count > 0) {
          this.frames.push({ items: [], remaining: count });
          position.offset = afterLine;
          continue;
        }
        value = count < 0 ? null : [];
      } else if (type === 58 /* : */) {
        // Read from the bytes when it fits a double exactly; Redis integers are 64-bit.
        value = lineEnd - start <= 16 ? lengthAt(buffer, start + 1, lineEnd) : Number(buffer.toString('latin1', start + 1, lineEnd));
      } else if (type === 43 /* + */) value = buffer.toString('utf8', start + 1, lineEnd);
      else if (type === MINUS) value = new RespError(buffer.toString('utf8', start + 1, lineEnd));
      else throw new RespError(`protocol error: unexpected reply type ${JSON.stringify(String.fromCharCode(type ?? 0))}`);
      position.offset = afterLine;
      const done = this.settle(value);
      if (done !== undefined) return done.value;
    }
  }

  /** Places a read element in the array being read; returns the reply once the outermost one is whole. */
  private settle(element: RespValue): { value: RespValue } | undefined {
    let value = element;
    for (;;) {
      const frame = this.frames[this.frames.length - 1];
      if (!frame) return { value };
      frame.items.push(value);
      if (--frame.remaining > 0) return undefined;
      this.frames.pop();
      value = frame.items;
    }
  }
}

/** Parses one reply starting at `offset`; returns undefined when the buffer does not hold all of it yet. */
export function parseReply(buffer: Buffer, offset: number): ParsedReply | undefined {
  const position = { offset };
  const value = new IncrementalParser().parse(buffer, position);
  return value === undefined ? undefined : { value, next: position.offset };
}

/** Reassembles replies from the chunks a socket delivers, however the bytes are split. */
export class ReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly position = { offset: 0 };
  private readonly parser = new IncrementalParser();
  /** Chunks held back until the bulk string being read can be whole, so a large one is copied once. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  push(chunk: Buffer): void {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    const available = this.buffer.length - this.position.offset + this.heldBytes;
    if (available < this.parser.needed) return;
    const rest = this.buffer.subarray(this.position.offset);
    this.buffer = rest.length === 0 && this.held.length === 1 ? chunk : Buffer.concat([rest, ...this.held]);
    this.position.offset = 0;
    this.held = [];
    this.heldBytes = 0;
  }

  /** The next whole reply, or undefined until all of its bytes have arrived. Throws RespError on a protocol error. */
  next(): RespValue | undefined {
    if (this.heldBytes > 0) return undefined;
    return this.parser.parse(this.buffer, this.position);
  }
}
