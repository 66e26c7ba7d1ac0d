/**
 * xz compression of the executables with the system `xz` command (Debian's xz-utils), whose output Python's
 * standard `lzma` module unpacks. At preset 9 an executable takes minutes, so each result is kept under .cache/xz,
 * named by the input's sha256 and the options, and a build whose executable did not change reuses it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';

const CACHE = resolve('.cache', 'xz');

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function runXz(input: string, output: string, args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('xz', [...args, '--stdout', input], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const written = pipeline(child.stdout, createWriteStream(output));
    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'ENOENT' ? new Error('packaging needs the xz command (Debian and Ubuntu: apt-get install xz-utils)') : error);
    });
    child.on('close', (code) => {
      written.then(
        () => (code === 0 ? done() : fail(new Error(`xz ${args.join(' ')} ${input} exited with status ${code}: ${stderr.trim()}`))),
        fail,
      );
    });
  });
}

/** The cache files this build used; pruneXzCache removes the others. */
const used = new Set<string>();

export interface Compressed {
  /** Of the input. */
  readonly sha256: string;
  /** Whether the result came from the cache. */
  readonly cached: boolean;
}

/** Writes `input` compressed with `xz args` to `output`. */
export async function xzCompress(input: string, output: string, args: readonly string[]): Promise<Compressed> {
  mkdirSync(CACHE, { recursive: true });
  const sha256 = await sha256File(input);
  const key = createHash('sha256')
    .update(`${sha256} ${args.join(' ')}`)
    .digest('hex');
  const cached = join(CACHE, `${key}.xz`);
  used.add(`${key}.xz`);
  const hit = existsSync(cached);
  if (!hit) {
    const partial = `${cached}.${process.pid}.partial`;
    try {
      await runXz(input, partial, args);
      renameSync(partial, cached);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  copyFileSync(cached, output);
  return { sha256, cached: hit };
}

/** A build running beside this one may have just written its result: leave recent files alone. */
const PRUNE_AFTER_MS = 60 * 60 * 1000;

/** Drops cached results this build did not use, so the cache holds about one build's worth. */
export function pruneXzCache(): void {
  if (!existsSync(CACHE)) return;
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (name.endsWith('.xz') && !used.has(name) && Date.now() - statSync(path).mtimeMs > PRUNE_AFTER_MS) rmSync(path, { force: true });
  }
}
