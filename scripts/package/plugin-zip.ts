/**
 * What the universal plugin zip holds: the folder `dispatcharr_exporter/` with plugin.json, plugin.py, logo.png,
 * the exporter for each machine compressed with xz, and their index, executables.json, from which the launcher
 * (plugin/plugin.py, unpack_executable) picks its machine's file and checks what it unpacked.
 */
import { resolve } from 'node:path';
import type { ZipEntry } from './zip.js';

export const PLUGIN_FOLDER = 'dispatcharr_exporter';
export const PACKED_INDEX = 'executables.json';

/** Per Node architecture, the machine name the launcher looks up (plugin.py's MACHINE_ALIASES values). */
export const MACHINES = { x64: 'x86_64', arm64: 'aarch64' } as const;
export type Arch = keyof typeof MACHINES;

export interface PackedExecutable {
  readonly arch: Arch;
  /** The .xz file on this machine. */
  readonly xzPath: string;
  /** Size and sha256 of the executable once unpacked. */
  readonly size: number;
  readonly sha256: string;
}

export function packedName(arch: Arch): string {
  return `dispatcharr-exporter-linux-${arch}.xz`;
}

export function packedIndex(version: string, executables: readonly PackedExecutable[]): string {
  const entries = Object.fromEntries(
    executables.map((executable) => [
      MACHINES[executable.arch],
      { file: packedName(executable.arch), size: executable.size, sha256: executable.sha256 },
    ]),
  );
  return `${JSON.stringify({ version, executables: entries }, null, 2)}\n`;
}

/** `manifest` is the plugin.json text to ship. */
export function pluginZipEntries(manifest: string, version: string, executables: readonly PackedExecutable[]): ZipEntry[] {
  const file = (name: string, source: string | Buffer, compress = true): ZipEntry => ({
    name: `${PLUGIN_FOLDER}/${name}`,
    source,
    mode: 0o100644,
    compress,
  });
  return [
    file('plugin.json', Buffer.from(manifest)),
    file('plugin.py', resolve('plugin/plugin.py')),
    file('logo.png', resolve('plugin/logo.png')),
    file(PACKED_INDEX, Buffer.from(packedIndex(version, executables))),
    ...executables.map((executable) => file(packedName(executable.arch), executable.xzPath, false)),
  ];
}
