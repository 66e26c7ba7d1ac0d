/**
 * Scrapes /metrics the way Prometheus does: a kept-alive connection, the scrape-timeout header, and (unless asked
 * for the plain size) Accept-Encoding: gzip. Times the request to its last byte; decompresses only afterwards.
 */
import { Agent, request } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface Scrape {
  readonly status: number;
  readonly ms: number;
  /** Bytes of the body as sent (compressed when gzip). */
  readonly wireBytes: number;
  readonly body: string;
}

export interface ScrapeClient {
  scrape(options?: { gzip?: boolean }): Promise<Scrape>;
  close(): void;
}

const SCRAPE_TIMEOUT_SECONDS = '10';

export function scrapeClient(baseUrl: string): ScrapeClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL('/metrics', baseUrl);
  return {
    scrape({ gzip = true } = {}) {
      return new Promise<Scrape>((resolve, reject) => {
        const started = performance.now();
        const headers: Record<string, string> = { 'x-prometheus-scrape-timeout-seconds': SCRAPE_TIMEOUT_SECONDS };
        if (gzip) headers['accept-encoding'] = 'gzip';
        const req = request(url, { agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - started;
            const raw = Buffer.concat(chunks);
            const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
            resolve({ status: res.statusCode ?? 0, ms, wireBytes: raw.length, body: body.toString('utf8') });
          });
        });
        req.on('error', reject);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

/** The value of an unlabelled sample in exposition text, or undefined. */
export function sampleOf(body: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Collectors that reported failure in this scrape. */
export function failedCollectors(body: string): string[] {
  return [...body.matchAll(/^dispatcharr_exporter_collector_success\{collector="([^"]+)"\} 0$/gm)].map((m) => m[1] ?? '');
}

/** Heap families, most telling first: the one found is reported by name. */
const HEAP_FAMILIES = ['process_heap_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes'];

export function heapOf(body: string): { family: string; bytes: number } | undefined {
  for (const family of HEAP_FAMILIES) {
    const bytes = sampleOf(body, family);
    if (bytes !== undefined) return { family, bytes };
  }
  return undefined;
}
