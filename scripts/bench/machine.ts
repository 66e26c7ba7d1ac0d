/** Where the figures were taken: the machine, the runtimes and server versions, the date, the commit. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import pg from 'pg';
import { RespConnection } from '../../src/sources/resp.js';
import { EXPORTER_VERSION } from '../../src/version.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly postgres: string;
  readonly redis: string;
  readonly exporter: string;
  readonly commit: string;
  readonly date: string;
  /** The 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAtStart: number;
}

/** The 1-minute load average (/proc/loadavg). */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
}

function totalMemory(): string {
  const line = readFileSync('/proc/meminfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('MemTotal:'));
  const kiB = Number(line?.replace(/\D+/g, '') ?? 0);
  return `${(kiB / 1024 / 1024).toFixed(1)} GiB`;
}

function commit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { encoding: 'utf8' }).stdout.trim();
  return head ? `${head}${dirty ? ' with uncommitted changes in src/' : ''}` : 'unknown';
}

async function postgresVersion(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

async function redisVersion(redisUrl: string): Promise<string> {
  const url = new URL(redisUrl);
  const connection = await RespConnection.open({ host: url.hostname, port: Number(url.port) });
  try {
    const [reply] = await connection.pipeline([['INFO', 'server']]);
    return (typeof reply === 'string' && /^redis_version:(.+)$/m.exec(reply)?.[1]?.trim()) || 'unknown';
  } finally {
    connection.close();
  }
}

export async function describeMachine(adminUrl: string, redisUrl: string): Promise<Machine> {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memory: totalMemory(),
    node: process.version,
    postgres: await postgresVersion(adminUrl),
    redis: await redisVersion(redisUrl),
    exporter: EXPORTER_VERSION,
    commit: commit(),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAtStart: loadAverage(),
  };
}
