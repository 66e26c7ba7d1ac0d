/** Runs the built exporter (dist/dispatcharr-exporter.cjs) as a child process, the way users run it. */
import { spawn, type ChildProcess } from 'node:child_process';
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

export async function startExporter(env: Record<string, string>, args: string[] = []): Promise<RunningExporter> {
  const port = await freePort();
  // Never the machine's own Redis: by default an empty database of the test server.
  const child = spawn(process.execPath, [bundlePath(), '--host', '127.0.0.1', '--port', String(port), ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...redisEnv(EMPTY_REDIS_DB), ...env },
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers });
  await waitFor('the exporter to listen', async () => {
    if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}: ${output}`);
    const response = await get('/health');
    if (response.status !== 200) throw new Error(`health answered ${response.status}`);
  });
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
