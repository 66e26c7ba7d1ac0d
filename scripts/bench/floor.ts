/**
 * The floor: the SQL and Redis work of one scrape issued directly, with no exposition. The sources are built the way
 * the exporter's entry point (src/cli.ts) builds them, from the same flags and environment, and only loadSnapshot is
 * timed, with the parts the collectors of that configuration need. startFloorUnderBudget runs it in a child process
 * with the exporter's memory budget, a block of reads at a time, so the benchmark can interleave them with the
 * exporter's scrapes; measureFloor runs a whole measurement in this process, with V8's defaults.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultCollectors, neededParts } from '../../src/collectors/registry.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { missingBudget } from '../../src/memory-budget.js';
import { loadSnapshot, type SnapshotSources } from '../../src/scrape/load-snapshot.js';
import { DispatcharrVersion } from '../../src/sources/dispatcharr-version.js';
import { EventLog } from '../../src/sources/event-log.js';
import { LiveDiscovery } from '../../src/sources/live-discovery.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { RedisSource } from '../../src/sources/redis.js';
import { EXPORTER_VERSION } from '../../src/version.js';
import { type BackendMeters, CpuTally } from './backend-cpu.js';
import { BenchBroken, type FloorFigures } from './results.js';
import { summarize } from './stats.js';

/** Which sources the floor reads: the exporter's environment and flags of one configuration. */
export interface FloorSetup {
  readonly env: Record<string, string>;
  readonly flags: readonly string[];
  readonly warmUp: number;
}

export interface FloorRun extends FloorSetup {
  readonly samples: number;
  /** Wall-clock limit of the timed loop. */
  readonly limitMs: number;
  readonly backendCpu: BackendMeters;
}

/** One timed snapshot read (milliseconds) over sources built as the exporter builds them. */
export interface FloorReader {
  read(): Promise<number>;
  close(): Promise<void>;
}

export function openFloorReader(setup: Omit<FloorSetup, 'warmUp'>): FloorReader {
  const command = loadConfig(setup.flags, setup.env);
  if (command.kind !== 'run') throw new BenchBroken(`the floor's configuration did not load (${command.kind})`);
  const { config } = command;
  const db = new PostgresSource(config.postgres, silentLogger);
  const redis = new RedisSource(config.redis, silentLogger);
  const version = new DispatcharrVersion({ baseUrl: config.settings.base_url }, silentLogger);
  const sources: SnapshotSources = {
    db,
    redis,
    dispatcharrVersion: () => version.get(),
    liveDiscovery: new LiveDiscovery(),
    eventLog: new EventLog(),
  };
  const needs = neededParts(defaultCollectors({ version: EXPORTER_VERSION, accessLog: false }), config.settings);
  return {
    async read() {
      const started = performance.now();
      const snapshot = await loadSnapshot(sources, needs, Date.now() + config.scrapeTimeoutSeconds * 1000);
      const ms = performance.now() - started;
      const failed = Object.entries(snapshot.parts).filter(([, part]) => part && !part.ok);
      if (failed.length > 0) {
        const what = failed.map(([name, part]) => `${name} failed (${part && !part.ok ? part.error : ''})`).join(', ');
        throw new BenchBroken(`floor: ${what}`);
      }
      return ms;
    },
    async close() {
      redis.close();
      await db.close();
    },
  };
}

/** The whole measurement in this process (V8's defaults): warm-up, then timed reads up to the count or the limit. */
export async function measureFloor(run: FloorRun): Promise<FloorFigures> {
  const reader = openFloorReader(run);
  try {
    for (let i = 0; i < run.warmUp; i++) await reader.read();
    const backends = new CpuTally(run.backendCpu);
    const { times, cpuSeconds } = await backends.during(() => readBlock(reader, run.samples, performance.now() + run.limitMs));
    return { ...summarize(times), cpu: backends.share(cpuSeconds, times.length), cutShort: times.length < run.samples };
  } finally {
    await reader.close();
  }
}

/** What a block of reads of the floor's process took: each read's milliseconds and the process' CPU seconds. */
export interface FloorBlock {
  readonly times: readonly number[];
  readonly cpuSeconds: number;
}

/** `reads` timed snapshot reads, fewer if `until` (performance.now()) passes first, and this process' CPU over them. */
export async function readBlock(reader: FloorReader, reads: number, until = Number.POSITIVE_INFINITY): Promise<FloorBlock> {
  const times: number[] = [];
  const cpu = process.cpuUsage();
  while (times.length < reads && performance.now() < until) times.push(await reader.read());
  const used = process.cpuUsage(cpu);
  return { times, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** The floor's process, warmed up, reading a block of snapshots when asked. */
export interface FloorProcess {
  take(reads: number): Promise<FloorBlock>;
  close(): Promise<void>;
}

/**
 * Starts the floor's process: its V8 and allocator settings are the exporter's memory budget (whatever of it this
 * environment and NODE_OPTIONS do not set, as the exporter applies it). Resolves once it has warmed up.
 */
export async function startFloorUnderBudget(setup: FloorSetup): Promise<FloorProcess> {
  const script = fileURLToPath(new URL('./floor-child.ts', import.meta.url));
  const budget = missingBudget([], process.env);
  const child = spawn(process.execPath, [...budget.options, '--import', 'tsx', script, JSON.stringify(setup)], {
    env: { ...process.env, ...budget.environment },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const reply = async (): Promise<unknown> => {
    const line = await lines.next();
    if (line.done) throw new BenchBroken(`the floor's process ended: ${stderr.trim() || `exit code ${child.exitCode}`}`);
    return JSON.parse(line.value);
  };
  await reply();
  return {
    async take(reads) {
      child.stdin.write(`${reads}\n`);
      return (await reply()) as FloorBlock;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
