/**
 * PostgreSQL and Redis connection settings. Each part can come from a single option (POSTGRES_HOST...),
 * a password file or a URL; a higher level wins over a lower one, and within one level a URL's parts
 * win over single options and a password file over a password.
 */
import type { OptionKey } from './options.js';
import { LEVELS, type Resolver } from './resolver.js';
import type { PostgresConfig, RedisConfig, TlsConfig } from './settings.js';
import { ConfigError } from './errors.js';
import { PARSERS, type RawValue, type SslMode } from './values.js';

/** Where each part of a connection comes from. */
interface EndpointSources<P> {
  /** Part name → the single option that sets it. */
  readonly options: { readonly [F in keyof P]?: OptionKey };
  readonly passwordFile: OptionKey;
  readonly url: 'database_url' | 'redis_url';
  /** The parts a URL gives; `raw` names the URL in error messages. */
  fromUrl(url: URL, raw: RawValue): Partial<P>;
}

/** Merges the parts every level gives, lowest level first, skipping parts a source leaves undefined. */
function endpoint<P extends object>(r: Resolver, sources: EndpointSources<P>): Partial<P> {
  const merged: Record<string, unknown> = {};
  const merge = (parts: object) => {
    for (const [name, value] of Object.entries(parts)) if (value !== undefined) merged[name] = value;
  };
  for (const level of LEVELS) {
    merge(Object.fromEntries(Object.entries(sources.options).map(([part, key]) => [part, r.at(level, key as OptionKey)])));
    merge({ password: r.at(level, sources.passwordFile) });
    const url = r.at(level, sources.url);
    const raw = r.rawAt(level, sources.url);
    if (url && raw) merge(sources.fromUrl(url, raw));
  }
  return merged as Partial<P>;
}

/** The parts every connection must have; each has a default, so a missing one is a bug in the option table. */
function complete<P extends object, K extends keyof P>(parts: Partial<P>, names: readonly K[]): Pick<P, K> {
  for (const name of names) if (parts[name] === undefined) throw new Error(`connection setting ${String(name)} has no default`);
  return parts as Pick<P, K>;
}

const decoded = (text: string): string | undefined => (text ? decodeURIComponent(text) : undefined);
const withoutBrackets = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');
const urlPort = (url: URL, raw: RawValue): number | undefined => (url.port ? PARSERS.port({ ...raw, value: url.port }) : undefined);

/** PEM files named by `<prefix>_ca_cert`, `_cert` and `_key`. */
function tlsFiles(r: Resolver, prefix: 'postgres_ssl' | 'redis_ssl'): Pick<TlsConfig, 'ca' | 'cert' | 'key'> {
  const files = { ca: r.get(`${prefix}_ca_cert`), cert: r.get(`${prefix}_cert`), key: r.get(`${prefix}_key`) };
  return Object.fromEntries(Object.entries(files).filter(([, pem]) => pem !== undefined));
}

/** Query parameters of a URL, each handled or refused: a parameter the exporter would ignore is an error. */
function queryParameters(url: URL, raw: RawValue, supported: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!supported.includes(name)) {
      throw new ConfigError(
        `unsupported parameter ${JSON.stringify(name)} in ${raw.key} (from ${raw.origin}): the exporter understands ${supported.join(', ')}`,
      );
    }
    params.set(name, value);
  }
  return params;
}

type PostgresParts = Omit<PostgresConfig, 'tls'> & {
  readonly sslEnabled: boolean;
  readonly sslMode: SslMode;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
};

const POSTGRES_URL_PARAMETERS = ['host', 'port', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name'] as const;

const POSTGRES: EndpointSources<PostgresParts> = {
  options: {
    host: 'postgres_host',
    port: 'postgres_port',
    database: 'postgres_db',
    user: 'postgres_user',
    password: 'postgres_password',
    sslEnabled: 'postgres_ssl',
    sslMode: 'postgres_ssl_mode',
    ca: 'postgres_ssl_ca_cert',
    cert: 'postgres_ssl_cert',
    key: 'postgres_ssl_key',
  },
  passwordFile: 'postgres_password_file',
  url: 'database_url',
  fromUrl: (url, raw) => {
    const params = queryParameters(url, raw, POSTGRES_URL_PARAMETERS);
    const param = (name: string, parse: (value: RawValue) => unknown) => {
      const value = params.get(name);
      return value === undefined ? undefined : parse({ key: `${raw.key} ${name}`, value, origin: raw.origin });
    };
    const sslMode = param('sslmode', PARSERS['ssl-mode']) as SslMode | undefined;
    return {
      // libpq: a host parameter (a socket directory) wins over the URL's host; so does a port parameter.
      host: params.get('host') || (url.hostname ? withoutBrackets(decodeURIComponent(url.hostname)) : undefined),
      port: (param('port', PARSERS.port) as number | undefined) ?? urlPort(url, raw),
      database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
      user: decoded(url.username),
      password: decoded(url.password),
      sslEnabled: sslMode === undefined ? undefined : sslMode !== 'disable',
      sslMode,
      ca: param('sslrootcert', PARSERS.file) as string | undefined,
      cert: param('sslcert', PARSERS.file) as string | undefined,
      key: param('sslkey', PARSERS.file) as string | undefined,
      applicationName: params.get('application_name') || undefined,
    };
  },
};

export function readPostgres(r: Resolver): PostgresConfig {
  const parts = endpoint(r, POSTGRES);
  const required = complete(parts, ['host', 'port', 'database', 'user', 'password', 'sslEnabled', 'sslMode']);
  const { sslEnabled, sslMode, ...connection } = required;
  const files = Object.fromEntries(
    (['ca', 'cert', 'key'] as const).flatMap((name) => (parts[name] === undefined ? [] : [[name, parts[name]]])),
  );
  const tls: TlsConfig = { verify: sslMode !== 'require', verifyHost: sslMode === 'verify-full', ...files };
  return {
    ...connection,
    ...(parts.applicationName && { applicationName: parts.applicationName }),
    ...(sslEnabled && sslMode !== 'disable' && { tls }),
  };
}

type RedisParts = Omit<RedisConfig, 'tlsOptions'> & { readonly verify: boolean };

const REDIS: EndpointSources<RedisParts> = {
  options: {
    host: 'redis_host',
    port: 'redis_port',
    db: 'redis_db',
    user: 'redis_user',
    password: 'redis_password',
    verify: 'redis_ssl_verify',
  },
  passwordFile: 'redis_password_file',
  url: 'redis_url',
  fromUrl: (url, raw) => {
    const params = queryParameters(url, raw, ['db', 'ssl_cert_reqs']);
    const db = url.pathname.replace(/^\//, '') || params.get('db');
    const certReqs = params.get('ssl_cert_reqs');
    if (certReqs !== undefined && !['none', 'optional', 'required'].includes(certReqs.toLowerCase())) {
      throw new ConfigError(
        `invalid ssl_cert_reqs ${JSON.stringify(certReqs)} in ${raw.key} (from ${raw.origin}): expected none, optional or required`,
      );
    }
    return {
      ...(certReqs !== undefined && { verify: certReqs.toLowerCase() !== 'none' }),
      tls: url.protocol === 'rediss:',
      host: url.hostname ? withoutBrackets(url.hostname) : undefined,
      port: urlPort(url, raw),
      db: db ? PARSERS.integer({ ...raw, value: db }) : undefined,
      user: decoded(url.username),
      password: decoded(url.password),
    };
  },
};

export function readRedis(r: Resolver): RedisConfig {
  const parts = endpoint(r, REDIS);
  const { host, port, db } = complete(parts, ['host', 'port', 'db']);
  const verify = parts.verify ?? true;
  const tls = parts.tls === true || r.required('redis_ssl');
  const tlsOptions: TlsConfig | undefined = tls ? { verify, verifyHost: verify, ...tlsFiles(r, 'redis_ssl') } : undefined;
  return {
    host,
    port,
    db,
    tls,
    ...(tlsOptions && { tlsOptions }),
    ...(parts.user && { user: parts.user }),
    ...(parts.password && { password: parts.password }),
  };
}
