/**
 * npm run bench: the built exporter (dist/dispatcharr-exporter.cjs) against real PostgreSQL and Redis on loopback,
 * on three datasets written by the tests' fixture writers (scripts/bench/datasets.ts), each in two configurations
 * (defaults, every gate on): latency, CPU, SQL statements, Redis commands and round trips per scrape, response
 * sizes, memory over a long run, idle and under concurrent scrapers, and the floor (the same reads with no
 * exposition). Writes bench/RESULTS.md and a summary; reports the targets of issue 10 and asserts none of them.
 * Exits non-zero only when the benchmark itself breaks (a scrape not answered 200 with both backends up, a
 * collector failing). Starts its own PostgreSQL and Redis unless TEST_POSTGRES_URL / TEST_REDIS_URL are set.
 * `--smoke`: the small dataset, a few scrapes, results to a temporary file (CI runs it so the benchmark cannot rot).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { errorMessage } from '../src/error-message.js';
import { adminUrl, type TestDatabase } from '../test/support/database.js';
import { postgresEnv } from '../test/support/exporter.js';
import { redisEnv, redisUrl } from '../test/support/redis.js';
import { type RunningServer, startPostgres, startRedis } from '../test/support/servers.js';
import { ALL_GATES } from '../test/support/settings.js';
import { EXPORTER_ROLE, redisCommandCounter, statementCounter } from './bench/backend-counters.js';
import { openBackendMeters } from './bench/backend-cpu.js';
import { type BuiltDataset, buildDataset, growToHuge } from './bench/datasets.js';
import { describeMachine, loadAverage } from './bench/machine.js';
import { measureConfiguration } from './bench/measure.js';
import { type BenchOptions, type DatasetName, parseBenchOptions } from './bench/options.js';
import { markdown, type Report, summary } from './bench/report.js';
import { BenchBroken, type Configuration, type ConfigurationResult, type DatasetFacts } from './bench/results.js';
import { checkTargets } from './bench/targets.js';

const CONFIGURATIONS: readonly Configuration[] = [
  { name: 'defaults', flags: [] },
  { name: 'every gate', flags: ALL_GATES },
];
/** Redis databases of the datasets; huge grows large's. */
const REDIS_DB: Readonly<Record<DatasetName, number>> = { small: 1, large: 2, huge: 2 };
/** The datasets whose every-gate configuration gets the long memory run (the memory targets are theirs). */
const LONG_MEMORY_RUN: readonly DatasetName[] = ['small', 'large'];

const log = (line: string) => process.stdout.write(`${line}\n`);

async function startServers(dir: string): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  if (!process.env['TEST_POSTGRES_URL']) {
    const server = await startPostgres(join(dir, 'postgres'));
    servers.push(server);
    process.env['TEST_POSTGRES_URL'] = server.url;
  }
  if (!process.env['TEST_REDIS_URL']) {
    const server = await startRedis(join(dir, 'redis'));
    servers.push(server);
    process.env['TEST_REDIS_URL'] = server.url;
  }
  return servers;
}

async function datasetFor(name: DatasetName, large: BuiltDataset | undefined): Promise<BuiltDataset> {
  if (name !== 'huge') return buildDataset(name, REDIS_DB[name], log);
  return growToHuge(large ?? (await buildDataset('large', REDIS_DB.large, log)));
}

async function run(options: BenchOptions): Promise<{ report: Report; broken: boolean }> {
  const started = performance.now();
  const statements = await statementCounter(adminUrl());
  const commands = await redisCommandCounter(redisUrl().toString());
  const backendCpu = await openBackendMeters(adminUrl(), redisUrl().toString());
  const machine = await describeMachine(adminUrl(), redisUrl().toString());
  const results: ConfigurationResult[] = [];
  const datasets: DatasetFacts[] = [];
  const notes: string[] = statements.note ? [statements.note] : [];
  let large: BuiltDataset | undefined;
  const open = new Set<TestDatabase>();
  try {
    for (const name of options.datasets) {
      log(`${name}: writing the dataset`);
      const built = await datasetFor(name, large);
      open.add(built.db);
      if (name === 'large') large = built;
      datasets.push(built.facts);
      log(
        `${name}: written in ${built.facts.setupSeconds.toFixed(1)} s (${built.facts.keys['all keys']?.toLocaleString('en-US')} Redis keys)`,
      );
      const env = { ...postgresEnv(built.db.url), POSTGRES_USER: EXPORTER_ROLE, ...redisEnv(built.redisDb) };
      for (const configuration of CONFIGURATIONS) {
        log(`${name}, ${configuration.name}`);
        const longRun = configuration.name === 'every gate' && LONG_MEMORY_RUN.includes(name);
        const result = await measureConfiguration({
          ...options,
          dataset: name,
          configuration,
          env,
          statements,
          commands,
          backendCpu,
          memoryScrapes: longRun ? options.memoryScrapes : options.shortMemoryScrapes,
          memorySeconds: longRun ? options.longRunSeconds : options.memorySeconds,
          log,
        });
        results.push(result);
        const s = result.sequential;
        log(`  p50 ${s.latency.p50.toFixed(1)} ms, p99 ${s.latency.p99.toFixed(1)} ms, floor p50 ${result.floor.p50.toFixed(1)} ms`);
      }
      const growsNext = name === 'large' && options.datasets.includes('huge');
      if (!growsNext) {
        open.delete(built.db);
        await built.db.drop();
      }
    }
  } finally {
    // Before the servers stop: a client left connected would fail loudly when they do.
    for (const db of open) await db.drop().catch(() => undefined);
    await statements.close();
    await commands.close();
    await backendCpu.close();
  }
  if (results.some((r) => r.floor.cpu.postgresMs === null))
    notes.push("PostgreSQL's CPU not measured: its data directory is not on this machine (or not readable)");
  if (results.some((r) => r.floor.cpu.redisMs === null)) notes.push("Redis' CPU not measured: INFO cpu gave no figures");
  const failing = results.filter((r) => r.failingCollectors.length > 0);
  for (const r of failing)
    notes.push(`collectors failing in some scrape (${r.dataset}, ${r.configuration}): ${r.failingCollectors.join(', ')}`);
  if (results.some((r) => r.sequential.cutShort || r.floor.cutShort || r.floorV8Defaults.cutShort || r.memory.some((m) => m.cutShort))) {
    notes.push(
      `some loops reached their time limit (--phase-seconds ${options.phaseSeconds}, --memory-seconds ${options.memorySeconds}, ` +
        `--long-run-seconds ${options.longRunSeconds}); ` +
        'their counts are marked',
    );
  }
  const report: Report = {
    options,
    machine,
    datasets,
    results,
    targets: checkTargets(results, machine.cores),
    notes,
    wallSeconds: (performance.now() - started) / 1000,
    loadAtEnd: loadAverage(),
  };
  return { report, broken: failing.length > 0 };
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  // Under the system temporary folder, so PostgreSQL's own user can reach it wherever the checkout is.
  const dir = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-bench-'));
  chmodSync(dir, 0o755);
  process.env['EXPORTER_BUNDLE'] ??= resolve('dist/dispatcharr-exporter.cjs');
  let servers: RunningServer[] = [];
  try {
    servers = await startServers(dir);
    const { report, broken } = await run(options);
    mkdirSync(dirname(resolve(options.out)), { recursive: true });
    writeFileSync(options.out, markdown(report));
    log(`\n${summary(report)}\n\nresults: ${options.out} (${(report.wallSeconds / 60).toFixed(1)} minutes)`);
    return broken ? 1 : 0;
  } catch (error) {
    process.stderr.write(
      `bench failed: ${error instanceof BenchBroken ? error.message : error instanceof Error ? error.stack : errorMessage(error)}\n`,
    );
    return 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error && error.stack ? error.stack : errorMessage(error)}\n`);
    process.exit(1);
  },
);
