/**
 * One scrape: read a snapshot, run the collectors, render the text. Concurrent scrapes share the
 * collection in flight, so N simultaneous requests cost the backends one collection.
 */
import { neededParts, runCollectors } from '../collectors/registry.js';
import type { Collector } from '../collectors/collector.js';
import { processCollector } from '../collectors/process.js';
import { selfFamilies } from '../collectors/self.js';
import { renderExposition } from '../exposition/render.js';
import type { Logger } from '../log.js';
import type { Snapshot } from '../snapshot.js';
import { loadSnapshot, type SnapshotSources } from './load-snapshot.js';
import type { SettingsSource } from './settings-source.js';

export interface BackendHealth {
  status: 'up' | 'down' | 'unknown';
  last_error: string | null;
  last_success: string | null;
  last_check: string | null;
}

export interface ScraperOptions {
  readonly collectors: readonly Collector[];
  readonly sources: SnapshotSources;
  readonly settings: SettingsSource;
  readonly logger: Logger;
}

export class Scraper {
  private inFlight: Promise<string> | undefined;
  private readonly postgres: BackendHealth = { status: 'unknown', last_error: null, last_success: null, last_check: null };
  private readonly redis: BackendHealth = { status: 'unknown', last_error: null, last_success: null, last_check: null };
  private lastVersion = 'unknown';

  constructor(private readonly options: ScraperOptions) {}

  /** Renders the exposition text; `deadline` is epoch milliseconds. Never rejects. */
  scrape(deadline: number): Promise<string> {
    this.inFlight ??= this.collect(deadline).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  health(): { postgres: BackendHealth; redis: BackendHealth; dispatcharr_version: string } {
    return { postgres: { ...this.postgres }, redis: { ...this.redis }, dispatcharr_version: this.lastVersion };
  }

  private async collect(deadline: number): Promise<string> {
    const settings = await this.options.settings(deadline);
    const { collectors, sources, logger } = this.options;
    const snapshot = await loadSnapshot(sources, neededParts(collectors, settings), deadline);
    this.record(snapshot);
    const { families, outcomes } = runCollectors(collectors, snapshot, settings, logger);
    // The process families come last, after the self families that report on every collector, themselves included.
    const own = runCollectors([processCollector], snapshot, settings, logger);
    return renderExposition([...families, ...selfFamilies(snapshot, [...outcomes, ...own.outcomes]), ...own.families]);
  }

  private record(snapshot: Snapshot): void {
    this.lastVersion = snapshot.dispatcharrVersion;
    const at = new Date(snapshot.time * 1000).toISOString();
    this.track('PostgreSQL', this.postgres, snapshot.parts.database, at);
    this.track('Redis', this.redis, snapshot.parts.live, at);
  }

  private track(name: string, health: BackendHealth, part: { ok: boolean; error?: string } | undefined, at: string): void {
    if (!part) return;
    health.last_check = at;
    if (part.ok) {
      if (health.status === 'down') this.options.logger.info(`${name} is reachable again`);
      health.status = 'up';
      health.last_success = at;
    } else {
      if (health.status !== 'down') this.options.logger.warn(`${name} is unreachable`, { error: part.error });
      health.status = 'down';
      health.last_error = part.error ?? 'unknown error';
    }
  }
}
