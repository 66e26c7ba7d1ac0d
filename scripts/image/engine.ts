/**
 * A Docker engine to build and run the image with: the one the docker CLI already reaches (DOCKER_HOST, a
 * context, /var/run/docker.sock), or a private dockerd started here with its own data root, socket and exec
 * root in a temporary folder, no bridge and no iptables rules (containers then run with `--network host`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerEngine {
  /** The docker CLI's environment for this engine. */
  readonly env: NodeJS.ProcessEnv;
  /** True for a dockerd started here: its images are gone once it stops. */
  readonly isPrivate: boolean;
  stop(): Promise<void>;
}

/** Why no engine could be had, for a clear failure or a test's skip reason. */
export class DockerUnavailable extends Error {}

const DOCKERD_CANDIDATES = ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

function onPath(name: string): string | undefined {
  return (process.env['PATH'] ?? '')
    .split(':')
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate));
}

/** Runs the docker CLI against an engine; its output, or the reason it failed. */
export function docker(env: NodeJS.ProcessEnv, args: string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, { env, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  const stderr = result.error ? result.error.message : result.stderr;
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr };
}

/** The server version when the engine answers; the CLI's complaint otherwise. */
function ping(env: NodeJS.ProcessEnv): { version?: string; problem: string } {
  const result = docker(env, ['version', '--format', '{{.Server.Version}}']);
  if (result.ok && result.stdout.trim()) return { version: result.stdout.trim(), problem: '' };
  return { problem: (result.stderr || result.stdout).trim().split('\n').slice(-1)[0] ?? 'no answer' };
}

function requireCli(): void {
  if (!onPath('docker')) throw new DockerUnavailable('the docker CLI is not installed (Debian package docker.io)');
}

/**
 * The engine the docker CLI reaches as it is configured, if one answers; an engine named by DOCKER_HOST or
 * DOCKER_CONTEXT that does not answer is an error rather than a reason to start another.
 */
export function existingEngine(): DockerEngine | undefined {
  requireCli();
  const env = { ...process.env };
  const answer = ping(env);
  if (answer.version) return { env, isPrivate: false, stop: async () => undefined };
  const named = ['DOCKER_HOST', 'DOCKER_CONTEXT'].find((name) => process.env[name]);
  if (named) throw new DockerUnavailable(`the Docker engine ${named}=${process.env[named]} names does not answer: ${answer.problem}`);
  return undefined;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/** dockerd leaves the host network namespace bound under its exec root (netns/default) after it exits. */
function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    if (spawnSync('umount', [point]).status !== 0) spawnSync('umount', ['--lazy', point]);
  }
}

/** Starts a dockerd of our own (root only) and waits until it answers. */
export async function startPrivateEngine(): Promise<DockerEngine> {
  requireCli();
  const dockerd = onPath('dockerd') ?? DOCKERD_CANDIDATES.find((path) => existsSync(path));
  if (!dockerd) throw new DockerUnavailable('dockerd is not installed (Debian package docker.io)');
  if (process.getuid?.() !== 0) throw new DockerUnavailable('starting dockerd needs root, and no running Docker engine answers');

  // Short paths: the socket's must fit in 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'dx-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  // Its own (empty) daemon.json, so a system configuration with other hosts or bridges cannot conflict.
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const output = openSync(log, 'a');
  const child = spawn(
    dockerd,
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--host',
      `unix://${socket}`,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--userland-proxy=false',
    ],
    { stdio: ['ignore', output, output] },
  );
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  for (const name of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[name];

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await exited(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await exited(child, 5_000);
      }
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };

  const until = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (existsSync(socket)) {
      const answer = ping(env);
      if (answer.version) return { env, isPrivate: true, stop };
      last = answer.problem;
    }
    await wait(200);
  }
  const tail = logTail(log);
  await stop();
  throw new DockerUnavailable(`dockerd did not start${last ? ` (${last})` : ''}${tail ? `:\n${tail}` : ''}`);
}
