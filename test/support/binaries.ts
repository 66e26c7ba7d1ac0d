/** Finds the server binaries the tests run: PostgreSQL, Redis, Prometheus and promtool. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function postgresBinDir(): string {
  const fromEnv = process.env['TEST_PG_BINDIR'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const initdb = onPath('initdb');
    if (initdb) return join(initdb, '..');
  }
  throw new Error('PostgreSQL server binaries not found (install the Debian package postgresql, or set TEST_PG_BINDIR)');
}

export function requireBinary(name: string, envName: string, debianPackage: string): string {
  const found = process.env[envName] ?? onPath(name) ?? (existsSync(`/usr/bin/${name}`) ? `/usr/bin/${name}` : undefined);
  if (!found) throw new Error(`${name} not found (install the Debian package ${debianPackage}, or set ${envName})`);
  return found;
}
