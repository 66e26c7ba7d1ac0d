/**
 * Soak test: the built exporter (dist/dispatcharr-exporter.cjs, every family gate on) scraped continuously by a few
 * concurrent scrapers while its backends misbehave, on loopback only. Every SOAK_EVENT_SECONDS it alternately
 * restarts PostgreSQL (stop, then start on the same data directory and port), restarts Redis (same port; the live
 * scenario is written again, as Dispatcharr's proxy would) and freezes Redis (SIGSTOP for SOAK_FREEZE_SECONDS, then
 * SIGCONT). It samples the exporter's RSS and open descriptors (/proc/<pid>), its PostgreSQL sessions
 * (pg_stat_activity, application_name 'dispatcharr-exporter' on the soak's database, over an admin connection) and its Redis clients
 * (CLIENT LIST over an admin connection, matched to the exporter's own sockets), prints a report and exits non-zero
 * when a scrape failed (no answer in time, not 200, or not strictly parseable) or when the end figures exceed the
 * start ones by a leak threshold (LEAK_THRESHOLDS). The start figures are taken after a warm-up (600 scrapes at full
 * speed, then 15 s), once the exporter's heap has grown to its working size; the end figures once both backends are
 * back and the exporter has seen them.
 *
 * Starts its own PostgreSQL and Redis unless TEST_POSTGRES_URL / TEST_REDIS_URL are set (events on a server it did
 * not start are skipped). Bounded in time (SOAK_MINUTES, default 30) and in requests (SOAK_MAX_SCRAPES). Everything
 * it starts is stopped at the end, on failure and on SIGINT/SIGTERM too. `test/e2e/soak-short.test.ts` runs the same
 * code for 40 seconds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { errorMessage } from '../src/error-message.js';
import { RespConnection } from '../src/sources/resp.js';
import { type SeededDataset, seedDataset } from '../test/fixtures/dataset.js';
import { writeLiveScenario } from '../test/fixtures/live-scenario.js';
import { requireBinary } from '../test/support/binaries.js';
import { createTestDatabase, type TestDatabase } from '../test/support/database.js';
import { postgresEnv } from '../test/support/exporter.js';
import { parseExposition, sampleValue } from '../test/support/exposition.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { openRedisWriter, type RedisWriter } from '../test/support/redis.js';
import { type RunningServer, startPostgres } from '../test/support/servers.js';
import { ALL_GATES } from '../test/support/settings.js';

export interface SoakOptions {
  /** How long the scrapers run. */
  readonly durationMs: number;
  /** Time between two backend events (restart PostgreSQL, restart Redis, freeze Redis, in turn). */
  readonly eventEveryMs: number;
  /** How long a frozen Redis stays frozen. */
  readonly freezeMs: number;
  /** How long a restarted server stays down before it starts again. */
  readonly downMs: number;
  /** Concurrent scrapers. */
  readonly scrapers: number;
  /** Pause of each scraper between two scrapes. */
  readonly pauseMs: number;
  /** The scrape timeout sent to the exporter (X-Prometheus-Scrape-Timeout-Seconds); the client gives up 5 s later. */
  readonly scrapeTimeoutSeconds: number;
  /** Scrapes done at most, all scrapers together. */
  readonly maxScrapes: number;
  /** Time between two resource samples. */
  readonly sampleEveryMs: number;
  /** Time the scrapers run before the start figures are taken. */
  readonly warmUpMs: number;
  /** Scrapes done back to back (by the scrapers together) before the warm-up: the exporter's JavaScript heap grows to
   * its working size in the first few hundred scrapes, which a short run would otherwise take for a leak. */
  readonly warmUpScrapes: number;
  /** Start servers of its own even when TEST_POSTGRES_URL / TEST_REDIS_URL are set (the short soak test does). */
  readonly ownServers: boolean;
  /** `metrics_layout` of the exporter. */
  readonly layout: 'v2' | 'v3';
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export const DEFAULT_OPTIONS: Omit<SoakOptions, 'log'> = {
  durationMs: 30 * 60_000,
  eventEveryMs: 120_000,
  freezeMs: 20_000,
  downMs: 3_000,
  scrapers: 3,
  pauseMs: 100,
  scrapeTimeoutSeconds: 5,
  maxScrapes: 200_000,
  sampleEveryMs: 10_000,
  warmUpMs: 15_000,
  warmUpScrapes: 600,
  ownServers: false,
  layout: 'v2',
};

/** The leak thresholds: end figures above these fail the soak. */
export const LEAK_THRESHOLDS = {
  /** Open descriptors at the end at most start + this. */
  descriptorGrowth: 20,
  /** PostgreSQL sessions of the exporter at the end at most this (its pool holds two). */
  postgresSessions: 2,
  /** Redis clients of the exporter at the end at most this (it keeps one connection). */
  redisClients: 2,
  /** RSS at the end at most start × (1 + this). */
  rssGrowth: 0.5,
} as const;

export interface ResourceSample {
  /** Milliseconds since the soak started. */
  readonly at: number;
  readonly rssKiB: number;
  readonly descriptors: number;
  /** null when PostgreSQL could not be asked (down). */
  readonly postgresSessions: number | null;
  /** null when Redis could not be asked (down or frozen). */
  readonly redisClients: number | null;
}

export type EventKind = 'restart-postgres' | 'restart-redis' | 'freeze-redis';
export const EVENT_CYCLE: readonly EventKind[] = ['restart-postgres', 'restart-redis', 'freeze-redis'];

export interface SoakReport {
  readonly durationMs: number;
  readonly scrapes: number;
  readonly failures: Readonly<Record<string, number>>;
  /** The first few failures, for the report. */
  readonly failureExamples: readonly string[];
  /** Successful scrapes that showed PostgreSQL down, Redis down, or some collector failing. */
  readonly degraded: { readonly postgresDown: number; readonly redisDown: number; readonly collectorFailed: number };
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly events: readonly { readonly kind: EventKind; readonly at: number; readonly ms: number; readonly skipped?: string }[];
  readonly liveRefreshFailures: number;
  readonly start: ResourceSample;
  readonly end: ResourceSample;
  readonly max: { readonly rssKiB: number; readonly descriptors: number; readonly postgresSessions: number; readonly redisClients: number };
  readonly samples: number;
  readonly exporterLog: { readonly lines: number; readonly byLevel: Readonly<Record<string, number>>; readonly tail: readonly string[] };
  readonly exporterExited: string | null;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A Redis server of the soak's own on a fixed loopback port, so a restart comes back where the exporter looks. */
interface SoakRedis extends RunningServer {
  readonly pid: number;
}

async function startRedisAt(dir: string, port: number): Promise<SoakRedis> {
  const binary = requireBinary('redis-server', 'TEST_REDIS_SERVER', 'redis-server');
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, 'redis.log'), 'a');
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server did not start');
  await waitFor('Redis to accept connections', async () => {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with ${child.exitCode}: ${readFileSync(join(dir, 'redis.log'), 'utf8').slice(-500)}`);
    const connection = await RespConnection.open({ host: '127.0.0.1', port });
    try {
      const [reply] = await connection.pipeline([['PING']]);
      if (reply !== 'PONG') throw new Error(`PING answered ${String(reply)}`);
    } finally {
      connection.close();
    }
  });
  return { url: `redis://127.0.0.1:${port}`, port, pid, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    // A frozen process must be thawed to act on SIGTERM.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}

/** The exporter, run as users run it, with its log in a file. */
interface SoakExporter {
  readonly url: string;
  readonly pid: number;
  readonly logPath: string;
  exited(): string | null;
  stop(): Promise<void>;
}

async function startSoakExporter(dir: string, env: Record<string, string>, args: string[]): Promise<SoakExporter> {
  const bundle = process.env['EXPORTER_BUNDLE'] ?? resolve('dist/dispatcharr-exporter.cjs');
  const port = await freePort();
  const logPath = join(dir, 'exporter.log');
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [bundle, '--host', '127.0.0.1', '--port', String(port), ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not run ${bundle}`);
  const url = `http://127.0.0.1:${port}`;
  const exited = () =>
    child.exitCode !== null ? `exit ${child.exitCode}` : child.signalCode !== null ? `signal ${child.signalCode}` : null;
  try {
    await waitFor('the exporter to listen', async () => {
      const status = exited();
      if (status) throw new Error(`exporter ended (${status}): ${readFileSync(logPath, 'utf8').slice(-1000)}`);
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`health answered ${response.status}`);
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, pid, logPath, exited, stop: () => stopChild(child) };
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? Number.NaN);
}

function descriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Local ports of the exporter's TCP sockets connected to `remotePort` (from /proc/<pid>/fd and /proc/net/tcp{,6}). */
function exporterPortsTo(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, remote, inode] = [cols[1], cols[2], cols[9]];
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (Number.parseInt(remote.split(':')[1] ?? '', 16) === remotePort) ports.add(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

async function postgresSessions(adminUrl: string, database: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000, application_name: 'soak-admin' });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), 3000, 'PostgreSQL admin connect');
    const result = await withTimeout(
      client.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'dispatcharr-exporter' AND datname = $1",
        [database],
      ),
      3000,
      'pg_stat_activity',
    );
    return Number(result.rows[0]?.n ?? Number.NaN);
  } catch {
    return null;
  } finally {
    void client.end().catch(() => {});
  }
}

async function redisClients(url: URL, exporterPid: number): Promise<number | null> {
  let connection: RespConnection | undefined;
  try {
    connection = await RespConnection.open({ host: url.hostname, port: Number(url.port), connectTimeoutMs: 2000 });
    const open = connection;
    const [, list] = await withTimeout(
      open.pipeline([
        ['CLIENT', 'SETNAME', 'soak-admin'],
        ['CLIENT', 'LIST'],
      ]),
      2000,
      'CLIENT LIST',
      () => open.close(),
    );
    if (typeof list !== 'string') return null;
    const ports = exporterPortsTo(exporterPid, Number(url.port));
    return list
      .split('\n')
      .map((line) => /(?:^| )addr=[^ ]*:(\d+)(?: |$)/.exec(line)?.[1])
      .filter((port) => port !== undefined && ports.has(Number(port))).length;
  } catch {
    return null;
  } finally {
    connection?.close();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function exporterLogSummary(path: string): SoakReport['exporterLog'] {
  let lines: string[] = [];
  try {
    lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    // no log
  }
  const byLevel: Record<string, number> = {};
  for (const line of lines) {
    const level = /(?:^| )level=(\w+)/.exec(line)?.[1] ?? 'other';
    byLevel[level] = (byLevel[level] ?? 0) + 1;
  }
  return { lines: lines.length, byLevel, tail: lines.slice(-20) };
}

/**
 * Runs one soak: sets up (servers, database, live state, exporter), scrapes while the events happen, takes the
 * figures, and tears everything down (also when it fails or `signal` aborts it).
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log, signal } = options;
  const dir = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-soak-'));
  chmodSync(dir, 0o755);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    // Servers.
    const externalPostgres = options.ownServers ? undefined : process.env['TEST_POSTGRES_URL'];
    const externalRedis = options.ownServers ? undefined : process.env['TEST_REDIS_URL'];
    let postgres: RunningServer | undefined;
    let redis: SoakRedis | undefined;
    const postgresDir = join(dir, 'postgres');
    const redisDir = join(dir, 'redis');
    cleanup.push(async () => {
      await redis?.stop();
      await postgres?.stop();
    });
    if (!externalPostgres) postgres = await startPostgres(postgresDir);
    if (!externalRedis) redis = await startRedisAt(redisDir, await freePort());
    const adminUrl = externalPostgres ?? (postgres as RunningServer).url;
    const redisUrl = new URL(externalRedis ?? (redis as SoakRedis).url);
    const redisDb = 14;
    log(
      `PostgreSQL ${adminUrl}${externalPostgres ? ' (given)' : ''}, Redis ${redisUrl.href} db ${redisDb}${externalRedis ? ' (given)' : ''}`,
    );

    // Data: the v0.29 dataset and the live scenario, rewritten every few seconds as Dispatcharr's proxy keeps it fresh.
    const db: TestDatabase = await createTestDatabase('v0.29', 'soak', adminUrl);
    cleanup.push(async () => {
      if (externalPostgres) await db.drop().catch(() => {});
    });
    const data: SeededDataset = await seedDataset(db);
    // The seeding connection would die with the first restart.
    await db.client.end();
    const writer = await openRedisWriter(redisDb, { url: redisUrl, flush: false });
    await writer.run(['FLUSHDB']);
    await writeLiveScenario(writer, 'live:', data, true);
    writer.close();
    cleanup.push(async () => {
      if (!externalRedis) return;
      const w = await openRedisWriter(redisDb, { url: redisUrl, flush: false }).catch(() => undefined);
      await w?.run(['FLUSHDB']).catch(() => {});
      w?.close();
    });
    let liveRefreshFailures = 0;
    const refreshLive = async () => {
      let w: RedisWriter | undefined;
      try {
        w = await openRedisWriter(redisDb, { url: redisUrl, flush: false });
        const open = w;
        await withTimeout(writeLiveScenario(open, 'live:', data, true), 3000, 'live scenario', () => open.close());
      } catch {
        liveRefreshFailures++;
      } finally {
        w?.close();
      }
    };

    // The exporter.
    const exporter = await startSoakExporter(
      dir,
      {
        ...postgresEnv(db.url),
        REDIS_HOST: redisUrl.hostname,
        REDIS_PORT: redisUrl.port,
        REDIS_DB: String(redisDb),
        DISPATCHARR_EXPORTER_LOG_LEVEL: 'info',
      },
      [...ALL_GATES, '--metrics-layout', options.layout],
    );
    cleanup.push(() => exporter.stop());
    log(`exporter pid ${exporter.pid} at ${exporter.url}, flags ${[...ALL_GATES, '--metrics-layout', options.layout].join(' ')}`);

    const sample = async (started: number): Promise<ResourceSample> => ({
      at: Date.now() - started,
      rssKiB: rssKiB(exporter.pid),
      descriptors: descriptors(exporter.pid),
      postgresSessions: await postgresSessions(adminUrl, db.name),
      redisClients: await redisClients(redisUrl, exporter.pid),
    });

    // Scrapers.
    const started = Date.now();
    // Set when the measured part starts, after the warm-up.
    let deadline = Number.POSITIVE_INFINITY;
    const stop = new AbortController();
    const stopSignal = signal ? AbortSignal.any([stop.signal, signal]) : stop.signal;
    const failures: Record<string, number> = {};
    const failureExamples: string[] = [];
    const latencies: number[] = [];
    const degraded = { postgresDown: 0, redisDown: 0, collectorFailed: 0 };
    let scrapes = 0;
    const fail = (kind: string, detail: string) => {
      failures[kind] = (failures[kind] ?? 0) + 1;
      if (failureExamples.length < 10)
        failureExamples.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${kind}: ${detail.slice(0, 300)}`);
    };
    const scrapeOnce = async (n: number): Promise<void> => {
      const begin = performance.now();
      let response: Response;
      try {
        response = await fetch(`${exporter.url}/metrics`, {
          headers: {
            'X-Prometheus-Scrape-Timeout-Seconds': String(options.scrapeTimeoutSeconds),
            'Accept-Encoding': n % 2 === 0 ? 'gzip' : 'identity',
          },
          signal: AbortSignal.timeout((options.scrapeTimeoutSeconds + 5) * 1000),
        });
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name === 'TimeoutError' || name === 'AbortError') fail('timeout', 'no answer');
        else fail('network', errorMessage(error));
        return;
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        fail('body', errorMessage(error));
        return;
      }
      latencies.push(performance.now() - begin);
      if (response.status !== 200) {
        fail(`http-${response.status}`, text.slice(0, 200));
        return;
      }
      try {
        const families = parseExposition(text);
        if (sampleValue(families, 'dispatcharr_up') === 0) degraded.postgresDown++;
        if (sampleValue(families, 'dispatcharr_redis_up') === 0) degraded.redisDown++;
        if (families.get('dispatcharr_exporter_collector_success')?.samples.some((s) => s.value === '0')) degraded.collectorFailed++;
        if (!families.has('dispatcharr_exporter_info')) fail('incomplete', 'no dispatcharr_exporter_info');
      } catch (error) {
        fail('parse', errorMessage(error));
      }
    };
    const scraper = async (): Promise<void> => {
      while (!stopSignal.aborted && Date.now() < deadline && scrapes < options.maxScrapes) {
        const n = scrapes++;
        await scrapeOnce(n);
        if (n >= options.warmUpScrapes) await sleep(options.pauseMs, stopSignal);
      }
    };
    const scraping = Promise.all(Array.from({ length: options.scrapers }, () => scraper()));

    // Live state refresher.
    const refresher = (async () => {
      while (!stopSignal.aborted && Date.now() < deadline) {
        await sleep(10_000, stopSignal);
        if (!stopSignal.aborted) await refreshLive();
      }
    })();

    // Events.
    const events: { kind: EventKind; at: number; ms: number; skipped?: string }[] = [];
    const runEvent = async (kind: EventKind): Promise<string | undefined> => {
      if (kind === 'restart-postgres') {
        if (!postgres) return 'PostgreSQL was given, not started by the soak';
        const port = postgres.port;
        await postgres.stop();
        postgres = undefined;
        await sleep(options.downMs, stopSignal);
        postgres = await startPostgres(postgresDir, port);
      } else if (kind === 'restart-redis') {
        if (!redis) return 'Redis was given, not started by the soak';
        const port = redis.port;
        await redis.stop();
        redis = undefined;
        await sleep(options.downMs, stopSignal);
        redis = await startRedisAt(redisDir, port);
        await refreshLive();
      } else {
        if (!redis) return 'Redis was given, not started by the soak';
        process.kill(redis.pid, 'SIGSTOP');
        try {
          await sleep(options.freezeMs, stopSignal);
        } finally {
          process.kill(redis.pid, 'SIGCONT');
        }
      }
      return undefined;
    };
    const bothBackendsUp = () =>
      waitFor(
        'the exporter to see both backends again',
        async () => {
          const response = await fetch(`${exporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
          const families = parseExposition(await response.text());
          if (sampleValue(families, 'dispatcharr_up') !== 1 || sampleValue(families, 'dispatcharr_redis_up') !== 1) {
            throw new Error('a backend still shows down');
          }
        },
        30_000,
        500,
      );

    // Warm-up: the scrapers run for warmUpMs (after warmUpScrapes at full speed) before the start figures.
    await sleep(options.warmUpMs, stopSignal);
    while (scrapes < Math.min(options.warmUpScrapes, options.maxScrapes) && !stopSignal.aborted) await sleep(100, stopSignal);
    const measured = Date.now();
    deadline = measured + options.durationMs;
    const samples: ResourceSample[] = [await sample(started)];
    const startSample = samples[0] as ResourceSample;
    log(`start: ${formatSample(startSample)}`);
    const sampler = (async () => {
      while (!stopSignal.aborted && Date.now() < deadline) {
        await sleep(options.sampleEveryMs, stopSignal);
        if (stopSignal.aborted || exporter.exited()) break;
        const s = await sample(started);
        samples.push(s);
        log(`${(s.at / 1000).toFixed(0)} s: ${formatSample(s)}, scrapes ${scrapes}, failures ${sumValues(failures)}`);
      }
    })();

    const eventLoop = (async () => {
      for (let i = 0; ; i++) {
        await sleep(options.eventEveryMs - ((Date.now() - measured) % options.eventEveryMs), stopSignal);
        const kind = EVENT_CYCLE[i % EVENT_CYCLE.length] as EventKind;
        const longest = Math.max(options.freezeMs, options.downMs + 5000);
        if (stopSignal.aborted || Date.now() + longest > deadline) break;
        const at = Date.now() - started;
        const skipped = await runEvent(kind);
        const ms = Date.now() - started - at;
        events.push({ kind, at, ms, ...(skipped && { skipped }) });
        log(`${(at / 1000).toFixed(0)} s: ${kind} ${skipped ? `skipped (${skipped})` : `done in ${(ms / 1000).toFixed(1)} s`}`);
      }
    })();

    let eventError: unknown;
    await eventLoop.catch((error: unknown) => {
      eventError = error;
      stop.abort();
    });
    await scraping;
    stop.abort();
    await Promise.all([refresher, sampler]);
    if (eventError) throw eventError;

    // End figures, once both backends answer again and the exporter has seen them (a few scrapes to settle).
    const exitedEarly = exporter.exited();
    if (!exitedEarly && !signal?.aborted) {
      await refreshLive();
      await bothBackendsUp();
      for (let i = 0; i < 5; i++) await (await fetch(`${exporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    }
    const endSample = exporter.exited() ? (samples[samples.length - 1] as ResourceSample) : await sample(started);
    samples.push(endSample);
    log(`end: ${formatSample(endSample)}`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const maxOf = (pick: (s: ResourceSample) => number | null) => Math.max(0, ...samples.map((s) => pick(s) ?? 0));
    return {
      durationMs: Date.now() - measured,
      scrapes,
      failures,
      failureExamples,
      degraded,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN },
      events,
      liveRefreshFailures,
      start: startSample,
      end: endSample,
      max: {
        rssKiB: maxOf((s) => s.rssKiB),
        descriptors: maxOf((s) => s.descriptors),
        postgresSessions: maxOf((s) => s.postgresSessions),
        redisClients: maxOf((s) => s.redisClients),
      },
      samples: samples.length,
      exporterLog: exporterLogSummary(exporter.logPath),
      exporterExited: exitedEarly ?? exporter.exited(),
    };
  } finally {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        log(`cleanup: ${errorMessage(error)}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function sumValues(record: Readonly<Record<string, number>>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

function formatSample(s: ResourceSample): string {
  return `RSS ${(s.rssKiB / 1024).toFixed(1)} MiB, descriptors ${s.descriptors}, PostgreSQL sessions ${s.postgresSessions ?? 'n/a'}, Redis clients ${s.redisClients ?? 'n/a'}`;
}

/** What is wrong with a soak's outcome: failed scrapes, a dead exporter, or end figures above the leak thresholds. */
export function soakProblems(report: SoakReport): string[] {
  const problems: string[] = [];
  const failed = sumValues(report.failures);
  if (failed > 0) problems.push(`${failed} scrapes failed: ${JSON.stringify(report.failures)}`);
  if (report.scrapes === 0) problems.push('no scrape was done');
  if (report.exporterExited) problems.push(`the exporter ended (${report.exporterExited})`);
  const { start, end } = report;
  if (end.descriptors > start.descriptors + LEAK_THRESHOLDS.descriptorGrowth) {
    problems.push(`descriptors grew from ${start.descriptors} to ${end.descriptors} (more than +${LEAK_THRESHOLDS.descriptorGrowth})`);
  }
  if (end.postgresSessions === null) problems.push('PostgreSQL sessions could not be counted at the end');
  else if (end.postgresSessions > LEAK_THRESHOLDS.postgresSessions) {
    problems.push(`${end.postgresSessions} PostgreSQL sessions at the end (more than ${LEAK_THRESHOLDS.postgresSessions})`);
  }
  if (end.redisClients === null) problems.push('Redis clients could not be counted at the end');
  else if (end.redisClients > LEAK_THRESHOLDS.redisClients) {
    problems.push(`${end.redisClients} Redis clients at the end (more than ${LEAK_THRESHOLDS.redisClients})`);
  }
  if (end.rssKiB > start.rssKiB * (1 + LEAK_THRESHOLDS.rssGrowth)) {
    problems.push(
      `RSS grew from ${(start.rssKiB / 1024).toFixed(1)} to ${(end.rssKiB / 1024).toFixed(1)} MiB (more than +${LEAK_THRESHOLDS.rssGrowth * 100} %)`,
    );
  }
  return problems;
}

export function formatReport(report: SoakReport): string {
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  const count = (n: number | null) => (n === null ? 'n/a' : String(n));
  const row = (name: string, start: string, end: string, max: string) =>
    `  ${name.padEnd(22)}${start.padStart(12)}${end.padStart(12)}${max.padStart(12)}`;
  const byKind = new Map<string, number>();
  for (const e of report.events) {
    const key = e.skipped ? `${e.kind} (skipped)` : e.kind;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  }
  const failures = Object.entries(report.failures);
  const problems = soakProblems(report);
  return [
    `soak report: ${(report.durationMs / 60_000).toFixed(1)} min`,
    `events: ${report.events.length} (${[...byKind].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'})`,
    `scrapes: ${report.scrapes} done, ${sumValues(report.failures)} failed${failures.length ? ` (${failures.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    ...report.failureExamples.map((e) => `  failure: ${e}`),
    `  answered with PostgreSQL down ${report.degraded.postgresDown}, with Redis down ${report.degraded.redisDown}, with a collector failing ${report.degraded.collectorFailed}`,
    `  latency: p50 ${report.latencyMs.p50.toFixed(1)} ms, p99 ${report.latencyMs.p99.toFixed(1)} ms, max ${report.latencyMs.max.toFixed(1)} ms`,
    `live state rewrites that failed (backend down or frozen): ${report.liveRefreshFailures}`,
    `exporter log: ${report.exporterLog.lines} lines (${Object.entries(report.exporterLog.byLevel)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})${report.exporterExited ? `; the exporter ended: ${report.exporterExited}` : ''}`,
    `resources (${report.samples} samples; start after the warm-up, end after the backends recovered):`,
    row('', 'start', 'end', 'max'),
    row('RSS', mib(report.start.rssKiB), mib(report.end.rssKiB), mib(report.max.rssKiB)),
    row('descriptors', String(report.start.descriptors), String(report.end.descriptors), String(report.max.descriptors)),
    row(
      'PostgreSQL sessions',
      count(report.start.postgresSessions),
      count(report.end.postgresSessions),
      String(report.max.postgresSessions),
    ),
    row('Redis clients', count(report.start.redisClients), count(report.end.redisClients), String(report.max.redisClients)),
    `leak thresholds: descriptors ≤ start + ${LEAK_THRESHOLDS.descriptorGrowth}, PostgreSQL sessions ≤ ${LEAK_THRESHOLDS.postgresSessions}, Redis clients ≤ ${LEAK_THRESHOLDS.redisClients}, RSS ≤ start + ${LEAK_THRESHOLDS.rssGrowth * 100} %`,
    problems.length === 0 ? 'verdict: PASS' : `verdict: FAIL\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    ...(problems.length > 0 ? ['exporter log tail:', ...report.exporterLog.tail.map((l) => `  ${l}`)] : []),
  ].join('\n');
}

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<number> {
  const minutes = numberFromEnv('SOAK_MINUTES', 30);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`soak: ${name}, stopping and cleaning up\n`);
    controller.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const layout = process.env['SOAK_LAYOUT'] === 'v3' ? 'v3' : 'v2';
  const options: SoakOptions = {
    ...DEFAULT_OPTIONS,
    durationMs: minutes * 60_000,
    eventEveryMs: numberFromEnv('SOAK_EVENT_SECONDS', 120) * 1000,
    freezeMs: numberFromEnv('SOAK_FREEZE_SECONDS', 20) * 1000,
    scrapers: Math.round(numberFromEnv('SOAK_SCRAPERS', DEFAULT_OPTIONS.scrapers)),
    maxScrapes: Math.round(numberFromEnv('SOAK_MAX_SCRAPES', DEFAULT_OPTIONS.maxScrapes)),
    layout,
    signal: controller.signal,
    log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  };
  options.log(
    `soak: ${minutes} min, ${options.scrapers} scrapers, an event every ${options.eventEveryMs / 1000} s (${EVENT_CYCLE.join(', ')}), freezes of ${options.freezeMs / 1000} s, at most ${options.maxScrapes} scrapes, layout ${layout}`,
  );
  const report = await runSoak(options);
  process.stdout.write(`${formatReport(report)}\n`);
  if (controller.signal.aborted) {
    process.stdout.write('interrupted: the figures cover the part that ran\n');
    return 130;
  }
  return soakProblems(report).length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
