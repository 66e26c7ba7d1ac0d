/**
 * PostgreSQL and Redis connection settings. Each part can come from a single option (POSTGRES_HOST...),
 * a password file or a URL; a higher level wins over a lower one, and within one level a URL's parts
 * win over single options and a password file over a password.
 */
import { LEVELS, type Level, type Resolver } from './resolver.js';
import type { PostgresConfig, RedisConfig, TlsConfig } from './settings.js';
import { PARSERS, type RawValue } from './values.js';

/** Merges the parts each level gives, lowest level first; within a level, later sources win. Undefined parts are skipped. */
function layered<T extends object>(read: (level: Level) => readonly Partial<T>[]): Partial<T> {
  const merged: Record<string, unknown> = {};
  for (const level of LEVELS) {
    for (const parts of read(level)) {
      for (const [name, value] of Object.entries(parts)) if (value !== undefined) merged[name] = value;
    }
  }
  return merged as Partial<T>;
}

function present<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} has no default`);
  return value;
}

const decoded = (text: string): string | undefined => (text ? decodeURIComponent(text) : undefined);
const withoutBrackets = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** PEM files named by `<prefix>_ca_cert`, `_cert` and `_key`. */
function tlsFiles(r: Resolver, prefix: 'postgres_ssl' | 'redis_ssl'): Pick<TlsConfig, 'ca' | 'cert' | 'key'> {
  const ca = r.get(`${prefix}_ca_cert`);
  const cert = r.get(`${prefix}_cert`);
  const key = r.get(`${prefix}_key`);
  return { ...(ca !== undefined && { ca }), ...(cert !== undefined && { cert }), ...(key !== undefined && { key }) };
}

function urlPort(url: URL, raw: RawValue | undefined): number | undefined {
  return url.port && raw ? PARSERS.port({ ...raw, value: url.port }) : undefined;
}

export function readPostgres(r: Resolver): PostgresConfig {
  const fromUrl = (level: Level): Partial<PostgresConfig> => {
    const url = r.at(level, 'database_url');
    if (!url) return {};
    const socketDir = url.searchParams.get('host');
    return {
      host: socketDir || (url.hostname ? withoutBrackets(decodeURIComponent(url.hostname)) : undefined),
      port: urlPort(url, r.rawAt(level, 'database_url')),
      database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
      user: decoded(url.username),
      password: decoded(url.password),
    };
  };
  const parts = layered<PostgresConfig>((level) => [
    {
      host: r.at(level, 'postgres_host'),
      port: r.at(level, 'postgres_port'),
      database: r.at(level, 'postgres_db'),
      user: r.at(level, 'postgres_user'),
      password: r.at(level, 'postgres_password_file') ?? r.at(level, 'postgres_password'),
    },
    fromUrl(level),
  ]);
  const mode = r.required('postgres_ssl_mode');
  const tls: TlsConfig | undefined = r.required('postgres_ssl')
    ? { verify: mode !== 'require', verifyHost: mode === 'verify-full', ...tlsFiles(r, 'postgres_ssl') }
    : undefined;
  return {
    host: present(parts.host, 'postgres_host'),
    port: present(parts.port, 'postgres_port'),
    database: present(parts.database, 'postgres_db'),
    user: present(parts.user, 'postgres_user'),
    password: present(parts.password, 'postgres_password'),
    ...(tls && { tls }),
  };
}

type RedisParts = Pick<RedisConfig, 'host' | 'port' | 'db' | 'user' | 'password' | 'tls'>;

export function readRedis(r: Resolver): RedisConfig {
  const fromUrl = (level: Level): Partial<RedisParts> => {
    const url = r.at(level, 'redis_url');
    const raw = r.rawAt(level, 'redis_url');
    if (!url || !raw) return {};
    const dbText = url.pathname.replace(/^\//, '');
    return {
      tls: url.protocol === 'rediss:',
      host: url.hostname ? withoutBrackets(url.hostname) : undefined,
      port: urlPort(url, raw),
      db: dbText ? PARSERS.integer({ ...raw, value: dbText }) : undefined,
      user: decoded(url.username),
      password: decoded(url.password),
    };
  };
  const parts = layered<RedisParts>((level) => [
    {
      host: r.at(level, 'redis_host'),
      port: r.at(level, 'redis_port'),
      db: r.at(level, 'redis_db'),
      user: r.at(level, 'redis_user'),
      password: r.at(level, 'redis_password_file') ?? r.at(level, 'redis_password'),
    },
    fromUrl(level),
  ]);
  const verify = r.required('redis_ssl_verify');
  const tlsOptions: TlsConfig | undefined = r.required('redis_ssl')
    ? { verify, verifyHost: verify, ...tlsFiles(r, 'redis_ssl') }
    : undefined;
  return {
    host: present(parts.host, 'redis_host'),
    port: present(parts.port, 'redis_port'),
    db: present(parts.db, 'redis_db'),
    tls: parts.tls === true || tlsOptions !== undefined,
    ...(tlsOptions && { tlsOptions }),
    ...(parts.user && { user: parts.user }),
    ...(parts.password && { password: parts.password }),
  };
}
