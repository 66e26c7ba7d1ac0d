/** Gzip of a body's chunks: all at once, or as a renderer seals them. */
import { constants, createGzip, type Gzip, gzipSync } from 'node:zlib';

const OPTIONS = { level: constants.Z_BEST_SPEED };
/**
 * Output buffers for compression on the thread pool: each one filled costs a trip through the event loop, so they are
 * large enough for a few hundred KB of input (256 KB written at once take one trip instead of two or three).
 */
const POOL_OPTIONS = { ...OPTIONS, chunkSize: 256 * 1024 };
/**
 * Bodies up to this size are compressed on the event loop, in well under a millisecond: handing them to the thread
 * pool and back costs more than compressing them (a small installation's 36 KB body: 0.12 ms in place, 0.34 ms
 * through the pool, on the 2-core machine of bench/RESULTS.md).
 */
const IN_PLACE_MAX_BYTES = 128 * 1024;

/**
 * Compresses the chunks, on libuv's thread pool when they are large so the event loop answers other requests
 * meanwhile, and gives the compressed chunks (about a tenth of the input for the exposition text). The fastest
 * level: on a 4 MB exposition it takes half the CPU time of the default level for a body 3 % larger.
 */
export function gzipChunks(chunks: readonly Buffer[]): Promise<Buffer[]> {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  if (total <= IN_PLACE_MAX_BYTES) {
    try {
      return Promise.resolve([gzipSync(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total), OPTIONS)]);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const { stream, done } = openGzip();
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return done;
}

function openGzip(): { stream: Gzip; done: Promise<Buffer[]> } {
  const stream = createGzip(POOL_OPTIONS);
  const done = new Promise<Buffer[]>((resolve, reject) => {
    const out: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk));
    stream.once('end', () => resolve(out));
    stream.once('error', reject);
  });
  return { stream, done };
}

/**
 * Compresses a body while it is being rendered: once its sealed chunks pass the in-place size, they go to the thread
 * pool as they come, so compression runs beside the rendering instead of after it. The chunks that arrive while the
 * compressor is busy go to it together, in one write: each write costs a trip through the event loop, which a
 * renderer only lets run now and then. The chunks must stay unchanged (not released) until `finish`'s promise settles.
 */
export class GzipFeed {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private open: { stream: Gzip; done: Promise<Buffer[]> } | undefined;
  private writing = false;

  push(chunk: Buffer): void {
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
    if (!this.open && this.queuedBytes > IN_PLACE_MAX_BYTES) this.open = openGzip();
    this.send();
  }

  /** The gzip of every chunk pushed. Never leaves a rejection unhandled: whoever awaits it sees the error. */
  finish(): Promise<Buffer[]> {
    let done: Promise<Buffer[]>;
    if (this.open) {
      // What is still queued goes now; a write in progress then finds the queue empty and sends nothing more.
      if (this.queued.length > 0) this.open.stream.write(this.take());
      this.open.stream.end();
      done = this.open.done;
    } else done = gzipChunks(this.queued);
    done.catch(() => undefined);
    return done;
  }

  private send(): void {
    if (!this.open || this.writing) return;
    this.writing = true;
    this.open.stream.write(this.take(), () => {
      this.writing = false;
      if (this.queued.length > 0) this.send();
    });
  }

  private take(): Buffer {
    const data = this.queued.length === 1 ? (this.queued[0] as Buffer) : Buffer.concat(this.queued, this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
    return data;
  }
}
