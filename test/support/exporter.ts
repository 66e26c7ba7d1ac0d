/** Runs the built exporter (dist/dispatcharr-exporter.cjs) as a child process, the way users run it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { freePort, waitFor } from './ports.js';
import { postgresConfig } from './database.js';
import { EMPTY_REDIS_DB, redisEnv } from './redis.js';

export interface RunningExporter {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export function bundlePath(): string {
  const path = process.env['EXPORTER_BUNDLE'];
  if (!path) throw new Error('EXPORTER_BUNDLE is not set: run the tests with `npm test`');
  return path;
}

/** How the tests reach an exporter that has a web configuration file: over TLS, with a client certificate, with a user. */
export interface ExporterClient {
  /** PEM texts; `ca` switches to https. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly user?: string;
  readonly password?: string;
}

/** A GET as fetch answers it, over https with the client's CA, certificate and credentials (fetch takes no CA). */
export function clientGet(url: string, client: ExporterClient) {
  return (path: string, headers: Record<string, string> = {}): Promise<Response> => {
    const all: Record<string, string> = { ...headers };
    if (client.user !== undefined) {
      all['authorization'] ??= `Basic ${Buffer.from(`${client.user}:${client.password ?? ''}`).toString('base64')}`;
    }
    if (client.ca === undefined) return fetch(`${url}${path}`, { headers: all });
    return new Promise((resolve, reject) => {
      const { ca, cert, key } = client;
      const req = httpsRequest(`${url}${path}`, { headers: all, ca, cert, key, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const fetched = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') fetched.set(name, value);
          resolve(new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: fetched }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  };
}

/** Runs the exporter to completion (for --help, bad configuration...). */
export function runExporterOnce(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundlePath(), ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function startExporter(
  env: Record<string, string>,
  args: string[] = [],
  client: ExporterClient = {},
  /** Run the bundle as its bin is run (its shell line applies the memory budget), not with `node <bundle>`. */
  launch: { readonly asInstalled?: boolean } = {},
): Promise<RunningExporter> {
  const port = await freePort();
  const command = launch.asInstalled ? [bundlePath()] : [process.execPath, bundlePath()];
  // Never the machine's own Redis: by default an empty database of the test server.
  const child = spawn(command[0] ?? '', [...command.slice(1), '--host', '127.0.0.1', '--port', String(port), ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...redisEnv(EMPTY_REDIS_DB), ...env },
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `${client.ca === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const get = clientGet(url, client);
  await waitFor('the exporter to listen', async () => {
    if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}: ${output}`);
    const response = await get('/health');
    if (response.status !== 200) throw new Error(`health answered ${response.status}`);
  });
  // The exporter looks at its backends once at start; let that first collection end, so a test's first scrape
  // (and what it counts) is its own. A backend that hangs is given up on after a few seconds.
  await waitFor(
    'the start-up collection to end',
    async () => {
      const health = (await (await get('/health')).json()) as { backends: { postgres: { status: string } } };
      if (health.backends.postgres.status === 'unknown') throw new Error('still collecting');
    },
    5_000,
    50,
  ).catch(() => undefined);
  return {
    url,
    port,
    child,
    output: () => output,
    get,
    async metrics() {
      const response = await get('/metrics');
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
      return response.text();
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** The environment that points the exporter at a test database, with Dispatcharr's variable names. */
export function postgresEnv(url: string): Record<string, string> {
  const config = postgresConfig(url);
  return {
    POSTGRES_HOST: config.host,
    POSTGRES_PORT: String(config.port),
    POSTGRES_DB: config.database,
    POSTGRES_USER: config.user,
    POSTGRES_PASSWORD: config.password || 'unused',
  };
}
