/** Builds the container image from the packaged single executable, on a given Docker engine. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { sourceUrl } from '../plugin-manifest.js';
import { assembleContext } from './context.js';
import { type DockerEngine, docker } from './engine.js';

export const IMAGE_NAME = packageJson.name;
export const DEFAULT_TAGS = [`${IMAGE_NAME}:${packageJson.version}`, `${IMAGE_NAME}:latest`];

export interface BuiltImage {
  readonly id: string;
  readonly tags: readonly string[];
  readonly sizeBytes: number;
  /** Paths in the image of the executable and the libraries copied with it. */
  readonly files: readonly string[];
}

/** Where `npm run package` leaves the executable for this machine's architecture, before zipping it. */
export function executablePath(arch: string = process.arch): string {
  return resolve('.cache', 'sea', `dispatcharr-exporter-${arch}`);
}

function isOlder(path: string, than: string): boolean {
  return existsSync(than) && statSync(path).mtimeMs < statSync(than).mtimeMs;
}

/**
 * The executable for this machine, packaged first when it is missing or older than the bundle it was made
 * from; checked to run and to report this package's version.
 */
export function packagedExecutable(log: (line: string) => void): string {
  if (process.arch !== 'x64' && process.arch !== 'arm64') throw new Error(`no executable is packaged for ${process.arch}`);
  const executable = executablePath();
  const bundle = resolve('dist', 'dispatcharr-exporter.cjs');
  if (!existsSync(executable) || isOlder(executable, bundle)) {
    log(`packaging the executable (${existsSync(executable) ? 'older than the bundle' : 'missing'})`);
    // Without a bundle, the whole `npm run package`; with one, only its packaging step, so that tests running
    // beside this one keep the bundle they started with.
    const packaging = existsSync(bundle)
      ? spawnSync(process.execPath, ['--import', 'tsx', resolve('scripts', 'package.ts')], { encoding: 'utf8' })
      : spawnSync('npm', ['run', 'package'], { encoding: 'utf8' });
    if (packaging.status !== 0) throw new Error(`npm run package failed:\n${packaging.stdout}${packaging.stderr}`);
    if (!existsSync(executable)) throw new Error(`npm run package did not leave the executable at ${executable}`);
  }
  const version = execFileSync(executable, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.endsWith(` ${packageJson.version}`)) throw new Error(`${executable} reports "${version}", not ${packageJson.version}`);
  return executable;
}

function gitRevision(): string | undefined {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** OCI annotations as image labels, from package.json. */
export function imageLabels(): Record<string, string> {
  const source = sourceUrl(packageJson.repository.url);
  const revision = gitRevision();
  return {
    'org.opencontainers.image.title': packageJson.name,
    'org.opencontainers.image.description': packageJson.description,
    'org.opencontainers.image.version': packageJson.version,
    'org.opencontainers.image.licenses': packageJson.license,
    'org.opencontainers.image.url': packageJson.homepage,
    'org.opencontainers.image.source': source,
    ...(revision ? { 'org.opencontainers.image.revision': revision } : {}),
  };
}

export function buildImage(engine: DockerEngine, executable: string, tags: readonly string[] = DEFAULT_TAGS): BuiltImage {
  const work = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-image-'));
  const context = join(work, 'context');
  try {
    const files = assembleContext(context, executable);
    const idFile = join(work, 'image-id');
    const labels = Object.entries(imageLabels()).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
    const build = docker(engine.env, ['build', '--iidfile', idFile, ...tags.flatMap((tag) => ['--tag', tag]), ...labels, context]);
    if (!build.ok) throw new Error(`docker build failed:\n${build.stdout}${build.stderr}`);
    const id = readFileSync(idFile, 'utf8').trim();
    const size = docker(engine.env, ['image', 'inspect', '--format', '{{.Size}}', id]);
    if (!size.ok) throw new Error(`docker image inspect failed: ${size.stderr}`);
    return { id, tags, sizeBytes: Number(size.stdout.trim()), files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
