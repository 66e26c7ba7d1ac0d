/** Gzip of a body's chunks. */
import { constants, createGzip } from 'node:zlib';

/**
 * Compresses the chunks on libuv's thread pool, so the event loop answers other requests meanwhile, and gives the
 * compressed chunks (about a tenth of the input for the exposition text). The fastest level: on a 4 MB exposition
 * it takes half the CPU time of the default level for a body 3 % larger.
 */
export function gzipChunks(chunks: readonly Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const gzip = createGzip({ level: constants.Z_BEST_SPEED, chunkSize: 64 * 1024 });
    const out: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => out.push(chunk));
    gzip.once('end', () => resolve(out));
    gzip.once('error', reject);
    for (const chunk of chunks) gzip.write(chunk);
    gzip.end();
  });
}
