/**
 * A response body as UTF-8 chunks written into reused buffers, so a body of several megabytes never exists
 * as one large string (two bytes a character once any label holds a character beyond Latin-1) nor as one
 * large Buffer: it lives outside the V8 heap, in buffers the next scrape writes into again.
 */

/** Size of a pooled chunk; a single line longer than this gets a buffer of its own. */
export const CHUNK_BYTES = 64 * 1024;
/** Chunks kept for reuse between scrapes (4 MiB), enough for the body of a large installation. */
const POOL_LIMIT = 64;
/** Characters of a text encoded at once by bodyFromText: at most 3 bytes each, so a slice never exceeds a chunk. */
const TEXT_SLICE = 8 * 1024;

const pool: Buffer[] = [];

/** Texts kept encoded by writeRepeated; a few hundred metric names, so the limit only guards against a runaway. */
const ENCODED_LIMIT = 4096;
const encoded = new Map<string, Buffer>();

const SPACE = 0x20;
const NEWLINE = 0x0a;

export interface Body {
  /** The bytes, in order. */
  readonly chunks: readonly Buffer[];
  readonly byteLength: number;
  /**
   * Gives the buffers back for reuse. Call it once nothing reads `chunks` any more (the response is finished,
   * or compressed); calling it again does nothing.
   */
  release(): void;
}

/** Appends text as UTF-8, filling a pooled buffer before taking the next one; `finish` hands the result over. */
export class ChunkWriter {
  /** `onSeal` sees each chunk once it is complete, in order (a compressor can start on it). */
  constructor(private readonly onSeal?: (chunk: Buffer) => void) {}

  private readonly chunks: Buffer[] = [];
  private readonly backing: Buffer[] = [];
  private readonly adopted: Body[] = [];
  private current: Buffer | undefined;
  private used = 0;
  private total = 0;

  write(text: string): void {
    if (text.length === 0) return;
    const room = this.current === undefined ? 0 : this.current.length - this.used;
    // A UTF-16 code unit is at most 3 UTF-8 bytes, so the exact length is needed only near the end of a chunk.
    if (text.length * 3 > room) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > room) this.next(bytes);
    }
    const current = this.current as Buffer;
    const written = current.write(text, this.used);
    this.used += written;
    this.total += written;
  }

  /**
   * A text written on many lines (a metric name): encoded once, kept, and copied after, which costs a third of
   * encoding it again.
   */
  writeRepeated(text: string): void {
    let bytes = encoded.get(text);
    if (bytes === undefined) {
      bytes = Buffer.from(text, 'utf8');
      if (encoded.size >= ENCODED_LIMIT) encoded.clear();
      encoded.set(text, bytes);
    }
    if (this.current === undefined || this.current.length - this.used < bytes.length) this.next(bytes.length);
    (this.current as Buffer).set(bytes, this.used);
    this.used += bytes.length;
    this.total += bytes.length;
  }

  /**
   * ` <value>\n`, the end of a sample line, without building it as a string first. A formatted number is a few ASCII
   * characters, which a loop stores faster than a call into Buffer's encoder does.
   */
  writeValue(value: string): void {
    const bytes = value.length + 2;
    if (this.current === undefined || this.current.length - this.used < bytes) this.next(bytes);
    const current = this.current as Buffer;
    let at = this.used;
    current[at++] = SPACE;
    for (let i = 0; i < value.length; i++) current[at++] = value.charCodeAt(i);
    current[at] = NEWLINE;
    this.used += bytes;
    this.total += bytes;
  }

  /** Another body's chunks, taken over as they are (not copied): releasing this body releases that one too. */
  adopt(body: Body): void {
    this.seal();
    for (const chunk of body.chunks) {
      this.chunks.push(chunk);
      this.onSeal?.(chunk);
    }
    this.total += body.byteLength;
    this.adopted.push(body);
  }

  finish(): Body {
    this.seal();
    const { chunks, backing, adopted } = this;
    let released = false;
    return {
      chunks,
      byteLength: this.total,
      release() {
        if (released) return;
        released = true;
        for (const buffer of backing) if (buffer.length === CHUNK_BYTES && pool.length < POOL_LIMIT) pool.push(buffer);
        for (const body of adopted) body.release();
      },
    };
  }

  private next(atLeast: number): void {
    this.seal();
    const buffer = atLeast <= CHUNK_BYTES ? (pool.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)) : Buffer.allocUnsafe(atLeast);
    this.backing.push(buffer);
    this.current = buffer;
    this.used = 0;
  }

  private seal(): void {
    if (this.current !== undefined && this.used > 0) {
      const chunk = this.current.subarray(0, this.used);
      this.chunks.push(chunk);
      this.onSeal?.(chunk);
    }
    this.current = undefined;
    this.used = 0;
  }
}

/** A text already in memory as a body, encoded slice by slice into pooled chunks rather than into one new Buffer. */
export function bodyFromText(text: string): Body {
  if (text.length <= TEXT_SLICE) {
    const bytes = Buffer.from(text, 'utf8');
    return { chunks: bytes.length > 0 ? [bytes] : [], byteLength: bytes.length, release: () => undefined };
  }
  const writer = new ChunkWriter();
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + TEXT_SLICE);
    // Never cut between the two halves of a surrogate pair: each half alone would be written as U+FFFD.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    writer.write(text.slice(start, end));
    start = end;
  }
  return writer.finish();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Buffers waiting in the pool (for tests). */
export function pooledChunks(): number {
  return pool.length;
}
