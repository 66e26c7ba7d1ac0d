/**
 * The scraper's tally of malformed values (skips.ts): a counter per source and reason, monotonic for the life of
 * the process, and a warning line at most once per source and reason per minute. A line names a key (and field),
 * never a value: values may be hostile or secret.
 */
import type { Logger } from '../log.js';
import { SKIP_REASONS, type Skip, type SkipReason, type SkipSource } from '../skips.js';

/** At most one line per source and reason in this many milliseconds. */
export const SKIP_LOG_INTERVAL_MS = 60_000;
/** Longest key name a log line carries, in UTF-16 units; longer names are cut and end with "…". */
export const LOGGED_KEY_LIMIT = 200;

/** Says yes to a kind at most once per interval. */
export class RateLimiter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(kind: string): boolean {
    const now = this.now();
    const last = this.last.get(kind);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.last.set(kind, now);
    return true;
  }
}

export interface SkippedTotal {
  readonly source: SkipSource;
  readonly reason: SkipReason;
  readonly count: number;
}

const kindOf = (source: SkipSource, reason: SkipReason) => `${source}/${reason}`;

function cut(text: string): string {
  return text.length <= LOGGED_KEY_LIMIT ? text : `${text.slice(0, LOGGED_KEY_LIMIT - 1)}…`;
}

export class SkippedValues {
  private readonly totals = new Map<string, { source: SkipSource; reason: SkipReason; count: number }>();
  /** Skips per kind since the last line about that kind (the suppressed ones included). */
  private readonly unlogged = new Map<string, number>();
  private readonly limiter: RateLimiter;

  constructor(
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    for (const source of Object.keys(SKIP_REASONS) as SkipSource[]) {
      for (const reason of SKIP_REASONS[source]) this.totals.set(kindOf(source, reason), { source, reason, count: 0 });
    }
    this.limiter = new RateLimiter(SKIP_LOG_INTERVAL_MS, now);
  }

  /** Counts the skips of one collection and logs each kind that has not been logged within the interval. */
  add(skips: readonly Skip[]): void {
    const byKind = new Map<string, { count: number; example: Skip }>();
    for (const skip of skips) {
      const kind = kindOf(skip.source, skip.reason);
      const seen = byKind.get(kind);
      if (seen) seen.count++;
      else byKind.set(kind, { count: 1, example: skip });
    }
    for (const [kind, { count, example }] of byKind) {
      const total = this.totals.get(kind);
      if (total) total.count += count;
      const unlogged = (this.unlogged.get(kind) ?? 0) + count;
      if (!this.limiter.allow(kind)) {
        this.unlogged.set(kind, unlogged);
        continue;
      }
      this.unlogged.delete(kind);
      this.logger.warn('skipped malformed values', {
        source: example.source,
        reason: example.reason,
        count: unlogged,
        example_key: cut(example.key),
        example_field: example.field === undefined ? undefined : cut(example.field),
      });
    }
  }

  /** Every known source and reason, zeros included, in SKIP_REASONS order. */
  list(): SkippedTotal[] {
    return [...this.totals.values()].map(({ source, reason, count }) => ({ source, reason, count }));
  }
}
