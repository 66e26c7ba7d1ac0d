/**
 * VOD session keys (`vod_persistent_connection:<session>`) have no index in Redis: only a walk of the keyspace finds
 * them. When the keyspace is too large to walk in every scrape, this walk goes on from scrape to scrape, a few pages
 * at a time riding in batches the scrape sends anyway, while the sessions already found are read in every scrape.
 */
import type { RedisSource } from './redis.js';
import { Batch } from './redis-batch.js';
import type { RespValue } from './resp.js';

export const VOD_KEY_PREFIX = 'vod_persistent_connection:';
/** Keys Redis looks at per page: about 10 ms of its time on a 2-core machine, the same as one page of the full walk. */
const PAGE_COUNT = '10000';

export class VodKeyWalk {
  private cursor = '0';
  private known = new Set<string>();

  /** Whether a walk has seen the whole keyspace since start: until then the sessions known may be a part. */
  private complete = false;

  /** After a complete walk in one scrape: the sessions are exactly these, and the paged walk starts over. */
  replace(keys: readonly string[]): void {
    this.known = new Set(keys);
    this.cursor = '0';
    this.complete = true;
  }

  /**
   * The first time the keyspace is too large to walk whole in a scrape, it is walked whole anyway, a page per round
   * trip and only VOD keys sent back, so the sessions already playing are all known from the start.
   */
  async completeOnce(redis: Pick<RedisSource, 'pipeline'>): Promise<void> {
    if (this.complete) return;
    this.cursor = '0';
    do {
      const batch = new Batch();
      this.page(batch);
      await batch.run(redis);
    } while (this.cursor !== '0');
    this.complete = true;
  }

  /** Queues the walk's next page on `batch`; the keys it finds are known once the batch has run. */
  page(batch: Batch): void {
    batch.add(['SCAN', this.cursor, 'MATCH', `${VOD_KEY_PREFIX}*`, 'COUNT', PAGE_COUNT], VodKeyWalk.takePage, this);
  }

  /** A SCAN page's decoder, made once rather than per page (README, "Hot code lives at module level"). */
  private static takePage(reply: RespValue, walk: VodKeyWalk): void {
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) {
      walk.cursor = '0'; // an error reply: start the walk over rather than loop on it
      return;
    }
    walk.cursor = reply[0];
    for (const key of reply[1]) if (typeof key === 'string' && key.startsWith(VOD_KEY_PREFIX)) walk.known.add(key);
  }

  /** The session keys found so far, sorted. */
  keys(): string[] {
    return [...this.known].sort();
  }

  /** A session whose hash is gone: it ended or expired. */
  forget(key: string): void {
    this.known.delete(key);
  }
}
