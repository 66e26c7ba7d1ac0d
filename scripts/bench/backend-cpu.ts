/**
 * CPU time the backends spend serving the exporter: PostgreSQL's processes as the kernel counts them (the
 * postmaster, its connections, and the connections that have ended), Redis' own INFO cpu. With the exporter's CPU
 * they bound how fast a scrape can be on this machine: work that needs C ms of CPU cannot finish in less than
 * C / cores ms, however it is spread.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { type Counter, CounterTally, redisInfoCounter } from './backend-counters.js';
import { commandName, cpuSeconds } from './process-probe.js';

/** CPU seconds a server has used so far (`total`), or null when they cannot be read (a server on another machine). */
export type CpuMeter = Counter;

/** Sums `used_cpu_sys` and `used_cpu_user` (every thread of the server) of an INFO cpu reply. */
export function redisCpuSeconds(info: string): number | null {
  const value = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  const total = value('used_cpu_sys') + value('used_cpu_user');
  return Number.isFinite(total) ? total : null;
}

export function redisCpu(redisUrl: string): Promise<CpuMeter> {
  return redisInfoCounter(redisUrl, 'cpu', redisCpuSeconds);
}

/**
 * The postmaster's process id from its `postmaster.pid`, when the data directory is on this machine and the process
 * it names is a running PostgreSQL server; else undefined.
 */
async function postmasterPid(admin: pg.Client): Promise<number | undefined> {
  try {
    const result = await admin.query<{ data_directory: string }>('SHOW data_directory');
    const directory = result.rows[0]?.data_directory;
    const pid = Number(readFileSync(`${directory}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && commandName(pid)?.startsWith('postgres') ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function postgresCpu(adminUrl: string): Promise<CpuMeter> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const pid = await postmasterPid(admin);
  return {
    total: async () => (pid === undefined ? null : cpuSeconds(pid, { reaped: true })),
    close: () => admin.end(),
  };
}

/** CPU milliseconds per scrape of one phase, by who spent them; null where a meter could not read. */
export interface CpuShare {
  /** The exporter (or, for the floor, this process reading the snapshots). */
  readonly exporterMs: number;
  readonly postgresMs: number | null;
  readonly redisMs: number | null;
}

export interface BackendMeters {
  readonly postgres: CpuMeter;
  readonly redis: CpuMeter;
  close(): Promise<void>;
}

/** Both backends' meters, for the servers behind the test support's admin and Redis URLs. */
export async function openBackendMeters(adminUrl: string, redisUrl: string): Promise<BackendMeters> {
  const postgres = await postgresCpu(adminUrl);
  const redis = await redisCpu(redisUrl);
  return {
    postgres,
    redis,
    async close() {
      await postgres.close();
      await redis.close();
    },
  };
}

/**
 * The backends' CPU while one side's blocks of work run (the exporter's scrapes, or the floor's reads, interleaved),
 * per scrape.
 */
export class CpuTally {
  private readonly tally: CounterTally;

  constructor(meters: BackendMeters) {
    this.tally = new CounterTally([meters.postgres, meters.redis]);
  }

  during<T>(work: () => Promise<T>): Promise<T> {
    return this.tally.during(work);
  }

  /** Per scrape, with `ownSeconds` the CPU of the process that did the side's work. */
  share(ownSeconds: number, scrapes: number): CpuShare {
    const perScrape = (seconds: number | null) => (seconds === null || scrapes === 0 ? null : (seconds * 1000) / scrapes);
    return {
      exporterMs: scrapes === 0 ? 0 : (ownSeconds * 1000) / scrapes,
      postgresMs: perScrape(this.tally.sum(0)),
      redisMs: perScrape(this.tally.sum(1)),
    };
  }
}

/** The CPU of a share in all, or null when a backend's could not be read. */
export function totalCpuMs(share: CpuShare): number | null {
  return share.postgresMs === null || share.redisMs === null ? null : share.exporterMs + share.postgresMs + share.redisMs;
}

/** The least wall time that much CPU can take on `cores` cores, or null. */
export function cpuBoundMs(cpuMs: number | null, cores: number): number | null {
  return cpuMs === null || cores < 1 ? null : cpuMs / cores;
}
