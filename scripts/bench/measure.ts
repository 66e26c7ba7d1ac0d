/**
 * One configuration of one dataset: the built exporter as a child process, scraped back to back (latency, CPU,
 * statements, commands, round trips) in blocks alternating with the floor's (under the memory budget, in a process
 * of its own), once for each response size, on to the memory samples (1,000 and the long run's count), left idle,
 * then scraped by many at once; finally the floor with V8's defaults, in this process.
 */
import { startExporter } from '../../test/support/exporter.js';
import { type Counter, CounterTally } from './backend-counters.js';
import { type BackendMeters, CpuTally } from './backend-cpu.js';
import { scrapeConcurrently } from './concurrent.js';
import { measureFloor, startFloorUnderBudget } from './floor.js';
import { HeapProbe, type LiveHeap } from './heap-probe.js';
import { cpuSeconds, rssBytes } from './process-probe.js';
import {
  BenchBroken,
  type Configuration,
  type ConfigurationResult,
  type FloorFigures,
  type MemorySample,
  type SequentialFigures,
  SETTLE_WINDOW,
  type SkippedRun,
} from './results.js';
import { CheckedScraper } from './checked-scraper.js';
import { heapOf, type Scrape, sampleOf, scrapeClient } from './scrape-client.js';
import { mode, summarize } from './stats.js';
import type { BenchOptions, DatasetName } from './options.js';

/** The benchmark's options this measurement uses as they are; the memory run's length is chosen per configuration. */
type SharedOptions = 'warmUp' | 'scrapes' | 'floorSamples' | 'idleSeconds' | 'concurrentScrapers' | 'concurrentSeconds' | 'phaseSeconds';

export interface MeasureRun extends Pick<BenchOptions, SharedOptions> {
  readonly dataset: DatasetName;
  readonly configuration: Configuration;
  /** The exporter's environment: Dispatcharr's variables for the dataset's database and Redis. */
  readonly env: Record<string, string>;
  readonly statements: Counter;
  readonly commands: Counter;
  /** The backends' CPU meters. */
  readonly backendCpu: BackendMeters;
  /** Scrapes in all before the last memory sample. */
  readonly memoryScrapes: number;
  /** Wall-clock limit of the memory runs. */
  readonly memorySeconds: number;
  readonly log: (line: string) => void;
}

const FIRST_MEMORY_SAMPLE = 1_000;

/** Scrapes (and floor reads) per block when the two alternate. */
const BLOCK = 10;

/**
 * The sequential scrapes, alternating blocks of them with blocks of the floor's reads, so that both are measured under
 * the same conditions (on a shared machine the load drifts within minutes, and the ratio of two figures taken apart
 * drifted with it). Each side counts only its own blocks: latency, CPU, and the backends' CPU; statements and commands
 * are the exporter's blocks'.
 */
async function sequentialWithFloor(
  run: MeasureRun,
  scraper: CheckedScraper,
  pid: number,
): Promise<{ sequential: SequentialFigures; floor: FloorFigures }> {
  const floorProcess = await startFloorUnderBudget({ env: run.env, flags: run.configuration.flags, warmUp: run.warmUp });
  try {
    const times: number[] = [];
    const trips: number[] = [];
    const floorTimes: number[] = [];
    const counts = new CounterTally([run.statements, run.commands]);
    const [exporterBackends, floorBackends] = [new CpuTally(run.backendCpu), new CpuTally(run.backendCpu)];
    let [exporterSeconds, floorSeconds] = [0, 0];
    let tripsTotal: number | undefined;
    const record = (scrape: Scrape) => {
      times.push(scrape.ms);
      const value = sampleOf(scrape.body, 'dispatcharr_exporter_redis_round_trips');
      if (value !== undefined) trips.push(value);
      // Should the figure become a running total, each scrape's share is the difference from the one before.
      const total = sampleOf(scrape.body, 'dispatcharr_exporter_redis_round_trips_total');
      if (total !== undefined && tripsTotal !== undefined) trips.push(total - tripsTotal);
      tripsTotal = total;
    };
    const until = performance.now() + run.phaseSeconds * 1000;
    while ((times.length < run.scrapes || floorTimes.length < run.floorSamples) && performance.now() < until) {
      const scrapes = Math.min(BLOCK, run.scrapes - times.length);
      if (scrapes > 0) {
        const cpu = cpuSeconds(pid);
        // The backends' CPU innermost: reading the statement count is itself a statement, and costs PostgreSQL CPU.
        await counts.during(() =>
          exporterBackends.during(async () => {
            for (let i = 0; i < scrapes; i++) record(await scraper.scrape());
          }),
        );
        exporterSeconds += cpuSeconds(pid) - cpu;
      }
      const reads = Math.min(BLOCK, run.floorSamples - floorTimes.length);
      if (reads > 0) {
        const block = await floorBackends.during(() => floorProcess.take(reads));
        floorTimes.push(...block.times);
        floorSeconds += block.cpuSeconds;
      }
    }
    const perScrape = (sum: number | null) => (sum === null || times.length === 0 ? null : sum / times.length);
    return {
      sequential: {
        latency: summarize(times),
        cpu: exporterBackends.share(exporterSeconds, times.length),
        statementsPerScrape: perScrape(counts.sum(0)),
        redisCommandsPerScrape: perScrape(counts.sum(1)),
        roundTrips: mode(trips) ?? null,
        roundTripsRange: trips.length > 0 ? [Math.min(...trips), Math.max(...trips)] : null,
        cutShort: times.length < run.scrapes,
      },
      floor: {
        ...summarize(floorTimes),
        cpu: floorBackends.share(floorSeconds, floorTimes.length),
        cutShort: floorTimes.length < run.floorSamples,
      },
    };
  } finally {
    await floorProcess.close();
  }
}

function memorySample(
  kind: MemorySample['kind'],
  at: string,
  scrapes: number,
  rss: number,
  scrape?: Scrape,
  cutShort = false,
  settledHeapBytes: number | null = null,
  live: LiveHeap | null = null,
): MemorySample {
  const heapBytes = scrape ? (heapOf(scrape.body)?.bytes ?? null) : null;
  return { kind, at, scrapes, rssBytes: rss, heapBytes, settledHeapBytes, live, cutShort };
}

/**
 * Scrapes on to 1,000 answered, then to the run's count, sampling memory after each (heap from the last scrape, the
 * least of the last SETTLE_WINDOW, and the live heap; RSS before the probe's collections).
 * The second run is left out when the rate of the first says it would outlast the time limit.
 */
async function memoryRuns(
  run: MeasureRun,
  scraper: CheckedScraper,
  pid: number,
  probe: HeapProbe,
): Promise<{ samples: MemorySample[]; skipped: SkippedRun | null }> {
  const started = performance.now();
  const startedAt = scraper.answered;
  const until = started + run.memorySeconds * 1000;
  const samples: MemorySample[] = [];
  let last: Scrape | undefined;
  for (const target of new Set([Math.min(FIRST_MEMORY_SAMPLE, run.memoryScrapes), run.memoryScrapes])) {
    if (target <= scraper.answered) continue;
    const done = scraper.answered - startedAt;
    const projectedMs = done > 0 ? ((performance.now() - started) / done) * (target - scraper.answered) : 0;
    if (performance.now() + projectedMs > until) return { samples, skipped: { target, projectedSeconds: projectedMs / 1000 } };
    run.log(`  memory: up to ${target.toLocaleString('en-US')} scrapes`);
    const heaps: number[] = [];
    const cutShort = await scraper.until(target, until, (scrape) => {
      last = scrape;
      const heap = heapOf(scrape.body)?.bytes;
      if (heap !== undefined) heaps.push(heap);
      if (heaps.length > SETTLE_WINDOW) heaps.shift();
    });
    const settled = heaps.length > 0 ? Math.min(...heaps) : null;
    const at = `${scraper.answered.toLocaleString('en-US')} scrapes`;
    const rss = rssBytes(pid);
    const live = await probe.read(pid);
    samples.push(memorySample('run', at, scraper.answered, rss, last, cutShort, settled, live));
    if (cutShort) break;
  }
  return { samples, skipped: null };
}

export async function measureConfiguration(run: MeasureRun): Promise<ConfigurationResult> {
  const { log } = run;
  // As the npm bin and `npm start` run it, so the memory budget applies (with `node <bundle>` Node 20 cannot apply it).
  const probe = new HeapProbe();
  const exporter = await startExporter(probe.env(run.env), [...run.configuration.flags], {}, { asInstalled: true });
  const pid = exporter.child.pid ?? 0;
  const client = scrapeClient(exporter.url);
  const scraper = new CheckedScraper(client);
  const memory: MemorySample[] = [];
  try {
    const startRss = rssBytes(pid);
    const first = await scraper.scrape();
    memory.push(memorySample('start', 'start', 0, startRss, first));
    const heapFamily = heapOf(first.body)?.family ?? null;
    await scraper.until(run.warmUp, Number.POSITIVE_INFINITY);
    log(`  sequential: ${run.scrapes} scrapes, in blocks of ${BLOCK} alternating with the floor's ${run.floorSamples} reads`);
    const { sequential: figures, floor } = await sequentialWithFloor(run, scraper, pid);
    const plain = await scraper.scrape(false);
    const gzip = await scraper.scrape(true);

    const { samples, skipped } = await memoryRuns(run, scraper, pid, probe);
    memory.push(...samples);
    log(`  idle ${run.idleSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, run.idleSeconds * 1000));
    const idleRss = rssBytes(pid);
    memory.push(memorySample('idle', `${run.idleSeconds} s idle`, scraper.answered, idleRss, await scraper.scrape()));
    client.close();

    log(`  ${run.concurrentScrapers} concurrent scrapers, ${run.concurrentSeconds} s`);
    const concurrent = await scrapeConcurrently(exporter.url, pid, run.concurrentScrapers, run.concurrentSeconds);
    if (concurrent.failures > 0) throw new BenchBroken(`${concurrent.failures} concurrent scrapes failed`);
    await exporter.stop();

    log(`  floor with V8's defaults: ${run.floorSamples} loadSnapshot calls in this process`);
    const floorV8Defaults = await measureFloor({
      env: run.env,
      flags: run.configuration.flags,
      warmUp: run.warmUp,
      samples: run.floorSamples,
      limitMs: run.phaseSeconds * 1000,
      backendCpu: run.backendCpu,
    });
    return {
      dataset: run.dataset,
      configuration: run.configuration.name,
      sequential: figures,
      plainBytes: plain.wireBytes,
      gzipBytes: gzip.wireBytes,
      sampleLines: plain.body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
      liveChannels: sampleOf(plain.body, 'dispatcharr_active_streams') ?? null,
      heapFamily,
      memory,
      skippedRun: skipped,
      concurrent,
      floor,
      floorV8Defaults,
      failingCollectors: [...scraper.failing].sort(),
    };
  } catch (error) {
    const tail = exporter.output().trim().split('\n').slice(-10).join('\n');
    if (error instanceof Error) error.message += tail ? `\nexporter log (last lines):\n${tail}` : '';
    throw error;
  } finally {
    client.close();
    await exporter.stop();
    probe.close();
  }
}
