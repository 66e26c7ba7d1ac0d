/** Sends a body: gzip when the client accepts it and the body is worth compressing, Content-Length always. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Body } from '../exposition/chunks.js';
import { gzipChunks } from '../exposition/gzip.js';
import type { HeldBody } from '../exposition/shared-body.js';
import { acceptsGzip } from './encoding.js';

/** Bodies up to this size go out as they are: compressing them saves less than it costs. */
const COMPRESS_ABOVE_BYTES = 1024;

function totalLength(chunks: readonly Buffer[]): number {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  return total;
}

/**
 * Writes status, headers and `body` (nothing of it for HEAD), and gives the body's buffers back once the
 * response no longer needs them. Resolves once the response is handed to the socket; never rejects.
 */
export async function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: Body | HeldBody,
): Promise<void> {
  let chunks: readonly Buffer[] = body.chunks;
  let release = () => body.release();
  if (body.byteLength > COMPRESS_ABOVE_BYTES) {
    headers['Vary'] = 'Accept-Encoding';
    if (acceptsGzip(req)) {
      try {
        chunks = await ('gzip' in body ? body.gzip() : gzipChunks(body.chunks));
      } catch (error) {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
        return;
      } finally {
        body.release();
      }
      release = () => undefined;
      headers['Content-Encoding'] = 'gzip';
    }
  }
  // The client may have gone while the body was compressed.
  if (res.destroyed) return release();
  headers['Content-Length'] = chunks === body.chunks ? body.byteLength : totalLength(chunks);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || chunks.length === 0) {
    res.end();
    return release();
  }
  // 'close' comes after the last write has left (or the connection is gone): only then may the buffers be reused.
  res.once('close', release);
  res.cork();
  for (const chunk of chunks) res.write(chunk);
  res.end();
}
