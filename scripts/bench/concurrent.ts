/** Many scrapers at once: each scrapes in a loop on its own connection until the time is up. */
import { watchPeakRss } from './process-probe.js';
import type { ConcurrentFigures } from './results.js';
import { scrapeClient } from './scrape-client.js';
import { summarize } from './stats.js';

export async function scrapeConcurrently(baseUrl: string, pid: number, scrapers: number, seconds: number): Promise<ConcurrentFigures> {
  const peak = watchPeakRss(pid);
  const started = performance.now();
  const until = started + seconds * 1000;
  const times: number[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: scrapers }, async () => {
      const client = scrapeClient(baseUrl);
      try {
        while (performance.now() < until) {
          try {
            const scrape = await client.scrape();
            if (scrape.status === 200) times.push(scrape.ms);
            else failures++;
          } catch {
            failures++;
          }
        }
      } finally {
        client.close();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    scrapers,
    seconds: elapsed,
    scrapes: times.length,
    perSecond: times.length / elapsed,
    latency: summarize(times),
    peakRssBytes: peak.stop(),
    failures,
  };
}
