/** Demo mode's collections: each scrape's snapshot comes from the simulation, at once, instead of from PostgreSQL and Redis. */
import type { CollectionStarter } from '../scrape/scraper.js';
import { DemoDispatcharr } from './dispatcharr.js';

/** The seed of `--demo`: every demo run tells the same story. */
export const DEMO_SEED = 9192;

export function demoCollection(dispatcharr: DemoDispatcharr, now: () => number = Date.now): CollectionStarter {
  return (needs) => {
    const snapshot = dispatcharr.snapshot(now() / 1000, needs);
    return { done: Promise.resolve(snapshot), partial: () => snapshot };
  };
}

/** A demo that starts now. */
export function startDemo(now: () => number = Date.now): CollectionStarter {
  return demoCollection(new DemoDispatcharr({ seed: DEMO_SEED, start: now() / 1000 }), now);
}
