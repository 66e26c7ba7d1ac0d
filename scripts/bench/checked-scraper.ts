/** The benchmark's scrapes of /metrics, each answer checked before its figures are used. */
import { BenchBroken } from './results.js';
import { failedCollectors, type Scrape, type ScrapeClient, sampleOf } from './scrape-client.js';

/** Scrapes, checking each answer; a scrape that is not 200 with both backends up breaks the benchmark. */
export class CheckedScraper {
  answered = 0;
  readonly failing = new Set<string>();
  constructor(private readonly client: ScrapeClient) {}

  async scrape(gzip = true): Promise<Scrape> {
    const scrape = await this.client.scrape({ gzip });
    this.answered++;
    if (scrape.status !== 200) throw new BenchBroken(`/metrics answered ${scrape.status}`);
    if (sampleOf(scrape.body, 'dispatcharr_up') !== 1) throw new BenchBroken('a scrape showed PostgreSQL down (dispatcharr_up is not 1)');
    if (sampleOf(scrape.body, 'dispatcharr_redis_up') !== 1)
      throw new BenchBroken('a scrape showed Redis down (dispatcharr_redis_up is not 1)');
    for (const name of failedCollectors(scrape.body)) this.failing.add(name);
    return scrape;
  }

  /** Scrapes until `total` have been answered or `until` (performance.now()) passes; true when cut short. */
  async until(total: number, until: number, each?: (scrape: Scrape) => void): Promise<boolean> {
    while (this.answered < total) {
      if (performance.now() >= until) return true;
      const scrape = await this.scrape();
      each?.(scrape);
    }
    return false;
  }
}
