/**
 * The floor: the SQL and Redis work of one scrape issued directly, with no exposition. The sources are built the way
 * the exporter's entry point (src/cli.ts) builds them, from the same flags and environment, and only loadSnapshot is
 * timed, with the parts the collectors of that configuration need. measureFloor runs it in this process (V8's
 * defaults); measureFloorUnderBudget in a child process with the exporter's memory budget, as the exporter runs.
 */
import { defaultCollectors, neededParts } from '../../src/collectors/registry.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { loadSnapshot, type SnapshotSources } from '../../src/scrape/load-snapshot.js';
import { DispatcharrVersion } from '../../src/sources/dispatcharr-version.js';
import { EventLog } from '../../src/sources/event-log.js';
import { LiveDiscovery } from '../../src/sources/live-discovery.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { RedisSource } from '../../src/sources/redis.js';
import { EXPORTER_VERSION } from '../../src/version.js';
import { type BackendMeters, startCpuShare } from './backend-cpu.js';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { missingBudget } from '../../src/memory-budget.js';
import { BenchBroken, type FloorFigures } from './results.js';
import { summarize } from './stats.js';

export interface FloorRun {
  readonly env: Record<string, string>;
  readonly flags: readonly string[];
  readonly warmUp: number;
  readonly samples: number;
  /** Wall-clock limit of the timed loop. */
  readonly limitMs: number;
  readonly backendCpu: BackendMeters;
}

export async function measureFloor(run: FloorRun): Promise<FloorFigures> {
  const command = loadConfig(run.flags, run.env);
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
  const once = async (): Promise<number> => {
    const started = performance.now();
    const snapshot = await loadSnapshot(sources, needs, Date.now() + config.scrapeTimeoutSeconds * 1000);
    const ms = performance.now() - started;
    const failed = Object.entries(snapshot.parts).filter(([, part]) => part && !part.ok);
    if (failed.length > 0) {
      throw new BenchBroken(`floor: ${failed.map(([name, part]) => `${name} failed (${part && !part.ok ? part.error : ''})`).join(', ')}`);
    }
    return ms;
  };
  try {
    for (let i = 0; i < run.warmUp; i++) await once();
    const times: number[] = [];
    const until = performance.now() + run.limitMs;
    const cpuShare = await startCpuShare(run.backendCpu);
    const cpu = process.cpuUsage();
    while (times.length < run.samples && performance.now() < until) times.push(await once());
    const used = process.cpuUsage(cpu);
    return {
      ...summarize(times),
      cpu: await cpuShare.end((used.user + used.system) / 1e6, times.length),
      cutShort: times.length < run.samples,
    };
  } finally {
    redis.close();
    await db.close();
  }
}

/** The same measurement in a child process whose V8 and allocator settings are the exporter's memory budget. */
export function measureFloorUnderBudget(run: FloorRun): Promise<FloorFigures> {
  const { backendCpu: _meters, ...plain } = run;
  const child = fileURLToPath(new URL('./floor-child.ts', import.meta.url));
  // As the exporter applies it: whatever of the budget this environment (NODE_OPTIONS, MALLOC_ARENA_MAX) does not set.
  const budget = missingBudget([], process.env);
  const args = [...budget.options, '--import', 'tsx', child, JSON.stringify(plain)];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, ...budget.environment }, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new BenchBroken(`floor under the memory budget failed: ${stderr.trim() || error.message}`));
        resolve(JSON.parse(stdout) as FloorFigures);
      },
    );
  });
}
