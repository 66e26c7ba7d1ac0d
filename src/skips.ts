/**
 * Malformed values: what a reader met in Redis or PostgreSQL and had to leave out, by reason. The readers
 * report each one into the collection's SkipRecorder, the snapshot carries the list, and the scraper counts
 * them in `dispatcharr_exporter_skipped_values_total` and logs them (rate-limited). Values that are absent, or
 * gone because Dispatcharr's state moved on between two reads (a client set member whose hash expired, a key
 * that expired after the SCAN), are expected and never recorded.
 */

/** Every reason, per source: the counter has one series per pair from the first scrape on. */
export const SKIP_REASONS = {
  redis: ['not_a_number', 'negative_number', 'bad_timestamp', 'future_timestamp', 'not_an_id', 'not_a_uuid', 'wrong_type'],
  postgres: ['not_a_number', 'bad_expiry'],
} as const;

export type SkipSource = keyof typeof SKIP_REASONS;
export type SkipReason = (typeof SKIP_REASONS)[SkipSource][number];

/** One malformed value: where it was (a key or row name, never the value itself) and why it was left out. */
export interface Skip {
  readonly source: SkipSource;
  readonly reason: SkipReason;
  /** A Redis key name, or a table and row (`m3u_m3uaccountprofile:7`). */
  readonly key: string;
  /** The hash field or column, when the key alone does not say. */
  readonly field?: string;
}

/** Collects the malformed values of one collection, each value once however often it is reported. */
export class SkipRecorder {
  private readonly seen = new Map<string, Skip>();

  add(skip: Skip): void {
    const id = JSON.stringify([skip.source, skip.reason, skip.key, skip.field ?? '']);
    if (!this.seen.has(id)) this.seen.set(id, skip);
  }

  list(): Skip[] {
    return [...this.seen.values()];
  }
}
