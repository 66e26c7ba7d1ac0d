/**
 * One scrape: read a snapshot, run the collectors, render the text. Concurrent scrapes share the
 * collection in flight, so N simultaneous requests cost the backends one collection, but not its deadline:
 * each request waits only as long as its own deadline allows, then answers with the parts ready by then.
 */
import { type CollectorOutcome, neededParts, runCollectors } from '../collectors/registry.js';
import type { Collector } from '../collectors/collector.js';
import { processCollector } from '../collectors/process.js';
import { selfFamilies, skippedValuesFamily } from '../collectors/self.js';
import type { MetricFamily } from '../exposition/family.js';
import { GzipFeed } from '../exposition/gzip.js';
import { renderExposition, renderExpositionBody, renderExpositionBodySliced } from '../exposition/render.js';
import { type HeldBody, SharedBody } from '../exposition/shared-body.js';
import type { Settings } from '../config/settings.js';
import { NO_DISPATCHARR_SCHEMA } from '../sources/dispatcharr-db.js';
import type { Logger } from '../log.js';
import type { PartName, Snapshot } from '../snapshot.js';
import { EarlyCollectors } from './early-collectors.js';
import { type Collection, NOT_READY, type SnapshotSources, startCollection } from './load-snapshot.js';
import type { SettingsSource } from './settings-source.js';
import { SkippedValues } from './skipped-values.js';

export interface BackendHealth {
  status: 'up' | 'down' | 'unknown';
  last_error: string | null;
  last_success: string | null;
  last_check: string | null;
}

/** Starts the collection of one snapshot: from Dispatcharr's backends, or from demo mode's simulation. */
export type CollectionStarter = (needs: ReadonlySet<PartName>, deadline: number) => Collection;

export type ScraperOptions = {
  readonly collectors: readonly Collector[];
  readonly settings: SettingsSource;
  readonly logger: Logger;
  /** A collection may run this long, or as long as the request that starts it allows if that is longer. */
  readonly collectionSeconds: number;
} & ({ readonly sources: SnapshotSources } | { readonly collect: CollectionStarter });

interface Flight {
  /** The collection once its settings are known, with the collectors run while it reads. */
  readonly started: Promise<{ readonly settings: Settings; readonly collection: Collection; readonly early: EarlyCollectors }>;
}

/** A snapshot to render, the settings it was read for, and the collectors already run on it (a finished one's). */
interface ReadSnapshot {
  readonly snapshot: Snapshot;
  readonly settings: Settings;
  readonly early?: EarlyCollectors;
}

/** The value of `promise` if it settles before `deadline` (epoch ms), else undefined. */
function untilDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export class Scraper {
  private inFlight: Flight | undefined;
  private readonly postgres: BackendHealth = { status: 'unknown', last_error: null, last_success: null, last_check: null };
  private readonly redis: BackendHealth = { status: 'unknown', last_error: null, last_success: null, last_check: null };
  private lastVersion = 'unknown';
  /** Whether each collector succeeded last time, so a failure is logged when it starts, not on every scrape. */
  private readonly collectorStates = new Map<string, boolean>();
  private readonly skipped: SkippedValues;
  /** Collections whose malformed values are counted already: concurrent requests share one. */
  private readonly counted = new WeakSet<Snapshot>();
  /** The rendering of each collection still being sent; a partial snapshot is a new object each time, never shared. */
  private readonly rendered = new WeakMap<Snapshot, Promise<SharedBody>>();

  constructor(private readonly options: ScraperOptions) {
    this.skipped = new SkippedValues(options.logger);
  }

  /** Renders the exposition text by `deadline` (epoch milliseconds). Never rejects. */
  async scrape(deadline: number): Promise<string> {
    return renderExposition(this.families(await this.snapshot(deadline)));
  }

  /**
   * The exposition as a body to send by `deadline`; the caller releases it once sent. Requests that get the same
   * finished collection share one rendering and one gzip of it. `gzip`: the caller will send it compressed; when the
   * request that starts a rendering says so, the compression runs beside the rendering. Never rejects.
   */
  async body(deadline: number, { gzip = false }: { gzip?: boolean } = {}): Promise<HeldBody> {
    const read = await this.snapshot(deadline);
    const { snapshot } = read;
    for (;;) {
      const rendering = this.rendered.get(snapshot);
      if (!rendering) break;
      const shared = await rendering;
      if (shared.alive) return shared.acquire();
      // Sent and given back already: its buffers may hold another body now, so it is rendered again.
      if (this.rendered.get(snapshot) === rendering) this.rendered.delete(snapshot);
    }
    const rendering = this.render(read, gzip);
    this.rendered.set(snapshot, rendering);
    return (await rendering).acquire();
  }

  /**
   * The snapshot of the collection in flight (started if none is), as far as it got by `deadline`, the settings it
   * was read for and, once it is finished, the collectors run while it was read. Never rejects.
   */
  async snapshot(deadline: number): Promise<ReadSnapshot> {
    this.inFlight ??= this.begin(deadline);
    const flight = this.inFlight;
    const started = await untilDeadline(flight.started, deadline);
    if (!started) {
      const settings = this.options.settings.current();
      return { snapshot: this.nothingReady(settings), settings };
    }
    const done = await untilDeadline(started.collection.done, deadline);
    // Counted before rendering, so this answer includes them; a partial snapshot's are counted once it is done.
    if (done) this.countSkips(done);
    if (done) return { snapshot: done, settings: started.settings, early: started.early };
    return { snapshot: started.collection.partial(), settings: started.settings };
  }

  health(): { postgres: BackendHealth; redis: BackendHealth; dispatcharr_version: string } {
    return { postgres: { ...this.postgres }, redis: { ...this.redis }, dispatcharr_version: this.lastVersion };
  }

  private begin(deadline: number): Flight {
    const budget = Math.max(deadline, Date.now() + this.options.collectionSeconds * 1000);
    const { collectors, settings } = this.options;
    const origin = this.options;
    const collect: CollectionStarter =
      'collect' in origin ? origin.collect : (needs, until) => startCollection(origin.sources, needs, until);
    const started = settings.read(budget).then((current) => {
      const collection = collect(neededParts(collectors, current), budget);
      const early = new EarlyCollectors(collectors, current, this.options.logger);
      collection.onPart?.((soFar) => early.partRead(soFar));
      return { settings: current, collection, early };
    });
    started
      .then(({ collection }) => collection.done)
      .then((snapshot) => {
        this.countSkips(snapshot);
        this.record(snapshot);
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return { started };
  }

  private async render(read: ReadSnapshot, gzip: boolean): Promise<SharedBody> {
    const families = this.families(read);
    const ahead = read.early?.ahead();
    if (!gzip) return new SharedBody(renderExpositionBody(families, ahead));
    const feed = new GzipFeed();
    const body = await renderExpositionBodySliced(families, (chunk) => feed.push(chunk), ahead);
    return new SharedBody(body, feed.finish());
  }

  /** A snapshot for a request whose deadline passed before the collection could even start reading. */
  private nothingReady(settings: Settings): Snapshot {
    const parts = Object.fromEntries(
      ['database', ...neededParts(this.options.collectors, settings)].map((name) => [name, { ok: false, error: NOT_READY, seconds: 0 }]),
    );
    return { time: Date.now() / 1000, dispatcharrVersion: this.lastVersion, parts };
  }

  private families({ snapshot, settings, early }: ReadSnapshot): MetricFamily[] {
    const { collectors, logger } = this.options;
    const { families, outcomes } = runCollectors(collectors, snapshot, settings, logger, early?.take());
    // The process families come last, after the self families that report on every collector, themselves included.
    const own = runCollectors([processCollector], snapshot, settings, logger);
    this.logChanges([...outcomes, ...own.outcomes]);
    return [
      ...families,
      ...selfFamilies(snapshot, [...outcomes, ...own.outcomes]),
      skippedValuesFamily(this.skipped.list()),
      ...own.families,
    ];
  }

  /** Counts (and logs) the malformed values of a finished collection, once however many requests share it. */
  private countSkips(snapshot: Snapshot): void {
    if (this.counted.has(snapshot)) return;
    this.counted.add(snapshot);
    this.skipped.add(snapshot.skips ?? []);
  }

  private logChanges(outcomes: readonly CollectorOutcome[]): void {
    for (const outcome of outcomes) {
      const before = this.collectorStates.get(outcome.name);
      if (!outcome.success && before !== false)
        this.options.logger.warn('collector failed', { collector: outcome.name, error: outcome.error });
      if (outcome.success && before === false) this.options.logger.info('collector recovered', { collector: outcome.name });
      this.collectorStates.set(outcome.name, outcome.success);
    }
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
      if (health.status !== 'down') {
        const what = part.error === NO_DISPATCHARR_SCHEMA ? `${name} answers, but ${NO_DISPATCHARR_SCHEMA}` : `${name} is unreachable`;
        this.options.logger.warn(what, { error: part.error });
      }
      health.status = 'down';
      health.last_error = part.error ?? 'unknown error';
    }
  }
}
