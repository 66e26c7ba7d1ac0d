/**
 * `npm run image`: the container image dispatcharr-exporter:<version> (and :latest), built FROM scratch out of
 * the single executable that `npm run package` makes (packaged first when missing or stale), the shared
 * libraries it loads, and an unprivileged user; no shell. Builds on the Docker engine the docker CLI reaches;
 * when none answers and this is root, starts a private dockerd, builds there and saves the image to
 * dist/dispatcharr-exporter-<version>-image-<arch>.tar for `docker load`.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { errorMessage } from '../src/error-message.js';
import { buildImage, DEFAULT_TAGS, packagedExecutable } from './image/build.js';
import { docker, DockerUnavailable, existingEngine, startPrivateEngine } from './image/engine.js';

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function size(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB (${(bytes / 1048576).toFixed(1)} MiB)`;
}

async function main(): Promise<void> {
  let engine = existingEngine();
  if (!engine) {
    log('no Docker engine answers: starting a private dockerd for this build');
    engine = await startPrivateEngine();
  }
  try {
    const image = buildImage(engine, packagedExecutable(log));
    log(
      `built ${image.tags.join(', ')} (${image.id.slice(0, 19)}): ${size(image.sizeBytes)}, the executable and ${image.files.length - 1} shared libraries`,
    );
    if (engine.isPrivate) {
      const archive = resolve('dist', `${packageJson.name}-${packageJson.version}-image-${process.arch}.tar`);
      const saved = docker(engine.env, ['save', '--output', archive, ...DEFAULT_TAGS]);
      if (!saved.ok) throw new Error(`docker save failed: ${saved.stderr}`);
      log(`saved ${archive} (${size(statSync(archive).size)}): docker load --input ${archive}`);
    }
  } finally {
    await engine.stop();
  }
}

main().catch((error: unknown) => {
  const hint =
    error instanceof DockerUnavailable
      ? "\nStart Docker (or point DOCKER_HOST at an engine), or run as root with Debian's docker.io installed."
      : '';
  process.stderr.write(`image failed: ${errorMessage(error)}${hint}\n`);
  process.exit(1);
});
