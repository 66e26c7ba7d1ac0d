/**
 * The image's build context: container/Dockerfile and container/etc/, and rootfs/ with the single executable
 * and exactly the shared libraries the dynamic loader resolves for it on this machine.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const EXECUTABLE_IN_IMAGE = '/usr/local/bin/dispatcharr-exporter';
const RECIPE = resolve('container');

/**
 * The absolute paths `ldd` prints for an executable: each library where the loader found it, and the loader
 * itself at the path the executable names. The vDSO has no file and is left out.
 */
export function sharedLibraries(executable: string): string[] {
  const listing = execFileSync('ldd', [executable], { encoding: 'utf8' });
  const missing = listing.split('\n').filter((line) => line.includes('not found'));
  if (missing.length > 0) throw new Error(`${executable} needs libraries this machine lacks: ${missing.map((l) => l.trim()).join(', ')}`);
  const paths = [...listing.matchAll(/(?:=>\s+|^\s*)(\/\S+)\s+\(0x/gm)].map((match) => match[1] ?? '');
  if (!paths.some((path) => /\/ld-linux[^/]*\.so/.test(path)))
    throw new Error(`ldd names no dynamic loader for ${executable}:\n${listing}`);
  return [...new Set(paths)];
}

function copyInto(rootfs: string, source: string, target: string, mode: number): void {
  const destination = join(rootfs, target);
  mkdirSync(dirname(destination), { recursive: true });
  // copyFileSync follows symlinks: the image gets the library itself under the name the loader looks for.
  copyFileSync(source, destination);
  chmodSync(destination, mode);
}

/** Fills `dir` with the build context; returns the files placed under rootfs/ (paths in the image). */
export function assembleContext(dir: string, executable: string): string[] {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  copyFileSync(join(RECIPE, 'Dockerfile'), join(dir, 'Dockerfile'));
  cpSync(join(RECIPE, 'etc'), join(dir, 'etc'), { recursive: true });
  copyInto(rootfs, executable, EXECUTABLE_IN_IMAGE, 0o755);
  const libraries = sharedLibraries(executable);
  for (const library of libraries) copyInto(rootfs, library, library, statSync(library).mode & 0o777);
  return [EXECUTABLE_IN_IMAGE, ...libraries];
}
