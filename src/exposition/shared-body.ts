/**
 * One rendered body for every response that shows the same collection: concurrent scrapes render it once, compress
 * it once, and hold its pooled buffers together; the buffers go back to the pool when the last response is done.
 */
import type { Body } from './chunks.js';
import { gzipChunks } from './gzip.js';

/** A body as one response holds it, with the gzip of the same bytes, made once for all holders. */
export interface HeldBody extends Body {
  gzip(): Promise<readonly Buffer[]>;
}

export class SharedBody {
  private holders = 0;
  private released = false;
  private gzipped: Promise<readonly Buffer[]> | undefined;

  /** `gzipped`: the body's gzip when it was started already (compressed while rendered). */
  constructor(
    private readonly body: Body,
    gzipped?: Promise<readonly Buffer[]>,
  ) {
    this.gzipped = gzipped;
  }

  /** False once every holder let go: its buffers may hold another body by then, so it must not be held again. */
  get alive(): boolean {
    return !this.released;
  }

  acquire(): HeldBody {
    if (this.released) throw new Error('a released body cannot be held again');
    this.holders++;
    let done = false;
    return {
      chunks: this.body.chunks,
      byteLength: this.body.byteLength,
      gzip: () => {
        this.gzipped ??= gzipChunks(this.body.chunks);
        return this.gzipped;
      },
      release: () => {
        if (done) return;
        done = true;
        this.holders--;
        if (this.holders === 0) {
          this.released = true;
          this.body.release();
        }
      },
    };
  }
}
