export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/** Settles like `promise`, or rejects with DeadlineExceeded at `deadline` (epoch ms), whichever comes first. */
export function withDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new DeadlineExceeded(`${what}: no time left in the scrape`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`${what}: scrape deadline reached after ${remaining} ms`)), remaining);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Leave Prometheus a little time to receive the answer before its own timeout fires. */
const TIMEOUT_OFFSET_SECONDS = 0.5;
const MIN_COLLECTION_SECONDS = 0.5;
/** A longer header (3,000,000 s would overflow Node's timers) is taken as this. */
export const MAX_SCRAPE_SECONDS = 300;

/** The collection deadline (epoch ms) for a request: its Prometheus timeout header, else the configured default. */
export function scrapeDeadline(header: string | string[] | undefined, defaultSeconds: number, now: number): number {
  const text = Array.isArray(header) ? header[0] : header;
  const requested = text === undefined ? NaN : Number(text);
  const seconds =
    Number.isFinite(requested) && requested > 0
      ? Math.min(MAX_SCRAPE_SECONDS, Math.max(MIN_COLLECTION_SECONDS, requested - TIMEOUT_OFFSET_SECONDS))
      : defaultSeconds;
  return now + seconds * 1000;
}
