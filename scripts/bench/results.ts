/** The figures the benchmark gathers, shared by the phases that measure them and the report that prints them. */
import type { CpuShare } from './backend-cpu.js';
import type { LiveHeap } from './heap-probe.js';
import type { DatasetName } from './options.js';
import type { Latency } from './stats.js';

export type ConfigurationName = 'defaults' | 'every gate';

export interface Configuration {
  readonly name: ConfigurationName;
  readonly flags: readonly string[];
}

/** A scrape that did not answer 200 with both backends up: the benchmark itself is broken, not slow. */
export class BenchBroken extends Error {}

/** Scrapes at the end of a memory run whose least heap figure is its settled heap. */
export const SETTLE_WINDOW = 100;

export interface MemorySample {
  /** Before any scrape, at the end of a run of scrapes, or after the idle time. */
  readonly kind: 'start' | 'run' | 'idle';
  /** When it was taken, in words: `start`, `1,000 scrapes`, `30 s idle`. */
  readonly at: string;
  /** Scrapes answered before it. */
  readonly scrapes: number;
  readonly rssBytes: number;
  /** The exporter's own heap figure (see `heapFamily`); null without one. */
  readonly heapBytes: number | null;
  /**
   * After a run: the least heap figure of its last SETTLE_WINDOW scrapes, the heap as a full collection leaves it
   * (the figure of one scrape swings by several MiB with where the collector stands); null elsewhere.
   */
  readonly settledHeapBytes: number | null;
  /** After a run: V8's heap after two full collections, and its code (heap-probe.ts); null elsewhere or unanswered. */
  readonly live: LiveHeap | null;
  /** A run that reached its time limit before its count. */
  readonly cutShort: boolean;
}

/** A memory run left out because, at the rate of the scrapes before it, it would have outlasted its time limit. */
export interface SkippedRun {
  readonly target: number;
  readonly projectedSeconds: number;
}

export interface SequentialFigures {
  readonly latency: Latency;
  /** CPU per scrape: the exporter process's, and the backends' while they served it. */
  readonly cpu: CpuShare;
  readonly statementsPerScrape: number | null;
  readonly redisCommandsPerScrape: number | null;
  /** dispatcharr_exporter_redis_round_trips: the usual value, and the range seen. */
  readonly roundTrips: number | null;
  readonly roundTripsRange: readonly [number, number] | null;
  /** The phase's time limit ended it before its count. */
  readonly cutShort: boolean;
}

export interface ConcurrentFigures {
  readonly scrapers: number;
  readonly seconds: number;
  readonly scrapes: number;
  readonly perSecond: number;
  readonly latency: Latency;
  readonly peakRssBytes: number;
  /** Answers other than 200, and requests that failed. */
  readonly failures: number;
}

export interface FloorFigures extends Latency {
  /** CPU per snapshot: this process reading it, and the backends serving it. */
  readonly cpu: CpuShare;
  readonly cutShort: boolean;
}

export interface ConfigurationResult {
  readonly dataset: DatasetName;
  readonly configuration: ConfigurationName;
  readonly sequential: SequentialFigures;
  readonly plainBytes: number;
  readonly gzipBytes: number;
  /** Sample lines of the exposition. */
  readonly sampleLines: number;
  /** dispatcharr_active_streams: live channels the exporter found (and the database knows). */
  readonly liveChannels: number | null;
  readonly heapFamily: string | null;
  readonly memory: readonly MemorySample[];
  readonly skippedRun: SkippedRun | null;
  readonly concurrent: ConcurrentFigures;
  /** The floor as the exporter runs, under its memory budget (the figure the targets compare with). */
  readonly floor: FloorFigures;
  /** The same in the benchmark's own process, with V8's default heap sizes. */
  readonly floorV8Defaults: FloorFigures;
  /** Collectors that reported failure in some measured scrape. */
  readonly failingCollectors: readonly string[];
}

/** What a dataset holds, counted in PostgreSQL and Redis once it is written. */
export interface DatasetFacts {
  readonly name: DatasetName;
  readonly description: string;
  readonly rows: Readonly<Record<string, number>>;
  readonly keys: Readonly<Record<string, number>>;
  readonly setupSeconds: number;
}
