/** Throwaway PostgreSQL and Redis servers on free loopback ports, for the test command. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinDir, requireBinary } from './binaries.js';
import { freePort, waitFor } from './ports.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The server's process, for tests that freeze it (SIGSTOP) and thaw it (SIGCONT). */
  readonly pid?: number;
  stop(): Promise<void>;
}

/** PostgreSQL refuses to run as root; CI runs as root, so its processes run as the packaged `postgres` user. */
export function serviceUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root but there is no postgres user (install the postgresql package)');
  return { uid, gid };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts (or restarts, when `dir` already holds a cluster) a PostgreSQL server; `port` defaults to a free one. */
export async function startPostgres(dir: string, port?: number, settings: string[] = []): Promise<RunningServer> {
  const bin = postgresBinDir();
  const data = join(dir, 'pgdata');
  const socket = join(dir, 'pgsocket');
  mkdirSync(data, { recursive: true });
  mkdirSync(socket, { recursive: true });
  const user = serviceUser();
  if ('uid' in user) for (const path of [dir, data, socket]) chownSync(path, user.uid, user.gid);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const initArgs = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    const init = spawnSync(join(bin, 'initdb'), initArgs, { encoding: 'utf8', cwd: dir, ...user });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  port ??= await freePort();
  const log = openSync(join(dir, 'postgres.log'), 'a');
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    socket,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'shared_preload_libraries=pg_stat_statements',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
    ...settings.flatMap((setting) => ['-c', setting]),
  ];
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', log, log], cwd: dir, ...user });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitFor('PostgreSQL to accept connections', async () => {
    if (child.exitCode !== null) throw new Error(`postgres exited: ${readFileSync(join(dir, 'postgres.log'), 'utf8').slice(-2000)}`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
  });
  return { url, port, stop: () => stopChild(child, 'SIGINT') };
}

/** With `tls`, the server speaks TLS only, with that certificate, and `url` is rediss://. */
export async function startRedis(dir: string, tls?: { cert: string; key: string; ca: string }): Promise<RunningServer> {
  const binary = requireBinary('redis-server', 'TEST_REDIS_SERVER', 'redis-server');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const log = openSync(join(dir, 'redis.log'), 'a');
  const listen = tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        tls.cert,
        '--tls-key-file',
        tls.key,
        '--tls-ca-cert-file',
        tls.ca,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];
  const child = spawn(binary, [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', log, log],
  });
  await waitFor('Redis to accept connections', () => pingRedis(port, tls?.ca));
  if (tls) return { url: `rediss://127.0.0.1:${port}`, port, stop: () => stopChild(child, 'SIGTERM') };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    ...(child.pid !== undefined && { pid: child.pid }),
    stop: async () => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGCONT');
      await stopChild(child, 'SIGTERM');
    },
  };
}

function pingRedis(port: number, ca?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = ca
      ? tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(ca) }, () => socket.write('PING\r\n'))
      : createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      if (data.toString().startsWith('+PONG')) resolve();
      else reject(new Error(`unexpected answer ${data.toString()}`));
    });
    socket.once('error', reject);
  });
}
