/** Builds the configuration from flags, then environment, then defaults. */
import { ConfigError } from './errors.js';
import { OPTIONS, optionByFlag, optionByKey, type OptionSpec } from './options.js';
import type { Config, PostgresConfig, RedisConfig, Settings, TlsConfig } from './settings.js';
import {
  parseBaseUrl,
  parseBoolean,
  parseHost,
  parseInteger,
  parseLogLevel,
  parsePort,
  parseSeconds,
  parseUrl,
  readSecretFile,
  type RawValue,
} from './values.js';

export type Command = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'version' };

type Layer = Map<string, RawValue>;

/** Reads `--name value`, `--name=value`, bare boolean `--name` and `--no-name`. */
export function parseFlags(argv: readonly string[]): Layer | 'help' | 'version' {
  const layer: Layer = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--version' || arg === '-v') return 'version';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    let flag = eq === -1 ? arg : arg.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = optionByFlag(flag);
    if (!spec && flag.startsWith('--no-')) {
      const positive = optionByFlag(`--${flag.slice(5)}`);
      if (positive?.kind === 'boolean' && value === undefined) {
        spec = positive;
        flag = positive.flag;
        value = 'false';
      }
    }
    if (!spec || spec.flag === '') throw new ConfigError(`unknown flag ${flag} (see --help)`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.kind === 'boolean') {
        value = 'true';
      } else if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(`flag ${flag} needs a value (setting ${spec.key})`);
      } else {
        value = next;
        i++;
      }
    }
    layer.set(spec.key, { key: spec.key, value, origin: flag });
  }
  return layer;
}

export function readEnvironment(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = new Map();
  for (const spec of OPTIONS) {
    for (const name of spec.env) {
      const value = env[name];
      if (value !== undefined && value !== '') {
        layer.set(spec.key, { key: spec.key, value, origin: name });
        break;
      }
    }
  }
  return layer;
}

function defaultOf(spec: OptionSpec): RawValue | undefined {
  return spec.default === undefined ? undefined : { key: spec.key, value: spec.default, origin: 'default' };
}

class Resolver {
  constructor(
    private readonly flags: Layer,
    private readonly env: Layer,
  ) {}

  raw(key: string): RawValue | undefined {
    return this.flags.get(key) ?? this.env.get(key) ?? defaultOf(optionByKey(key));
  }

  required(key: string): RawValue {
    const raw = this.raw(key);
    if (!raw) throw new Error(`option ${key} has no default`);
    return raw;
  }

  boolean(key: string): boolean {
    return parseBoolean(this.required(key));
  }

  fallback(key: string): RawValue {
    const raw = defaultOf(optionByKey(key));
    if (!raw) throw new Error(`option ${key} has no default`);
    return raw;
  }

  /** The value of `key` at one precedence level, for options that combine with a URL at that level. */
  at(level: 'flags' | 'env', key: string): RawValue | undefined {
    return (level === 'flags' ? this.flags : this.env).get(key);
  }
}

function readSettings(r: Resolver): Settings {
  return {
    auto_start: r.boolean('auto_start'),
    port: parsePort(r.required('port')),
    host: parseHost(r.required('host')),
    base_url: parseBaseUrl(r.required('base_url')),
    include_m3u_stats: r.boolean('include_m3u_stats'),
    include_epg_stats: r.boolean('include_epg_stats'),
    include_vod_stats: r.boolean('include_vod_stats'),
    include_client_stats: r.boolean('include_client_stats'),
    include_source_urls: r.boolean('include_source_urls'),
    include_legacy_metrics: r.boolean('include_legacy_metrics'),
  };
}

const LEVELS_LOW_TO_HIGH = ['env', 'flags'] as const;

const SSL_MODES = ['require', 'verify-ca', 'verify-full'] as const;

/** PEM files named by `<prefix>_ca_cert`, `_cert` and `_key`, read now so a bad path fails at start. */
function tlsFiles(r: Resolver, prefix: string): Pick<TlsConfig, 'ca' | 'cert' | 'key'> {
  const files: { ca?: string; cert?: string; key?: string } = {};
  for (const [part, key] of [
    ['ca', `${prefix}_ca_cert`],
    ['cert', `${prefix}_cert`],
    ['key', `${prefix}_key`],
  ] as const) {
    const raw = r.raw(key);
    if (raw) files[part] = readSecretFile(raw);
  }
  return files;
}

function postgresTls(r: Resolver): TlsConfig | undefined {
  if (!r.boolean('postgres_ssl')) return undefined;
  const raw = r.required('postgres_ssl_mode');
  const mode = raw.value.trim().toLowerCase();
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`invalid postgres_ssl_mode ${JSON.stringify(raw.value)} (from ${raw.origin}): expected ${SSL_MODES.join(', ')}`);
  }
  return { verify: mode !== 'require', verifyHost: mode === 'verify-full', ...tlsFiles(r, 'postgres_ssl') };
}

function redisTls(r: Resolver): TlsConfig | undefined {
  if (!r.boolean('redis_ssl')) return undefined;
  const verify = r.boolean('redis_ssl_verify');
  return { verify, verifyHost: verify, ...tlsFiles(r, 'redis_ssl') };
}

function readPostgres(r: Resolver): PostgresConfig {
  let host = r.fallback('postgres_host').value;
  let port = parsePort(r.fallback('postgres_port'));
  let database = r.fallback('postgres_db').value;
  let user = r.fallback('postgres_user').value;
  let password = r.fallback('postgres_password').value;
  for (const level of LEVELS_LOW_TO_HIGH) {
    const ownHost = r.at(level, 'postgres_host');
    if (ownHost) host = parseHost(ownHost);
    const ownPort = r.at(level, 'postgres_port');
    if (ownPort) port = parsePort(ownPort);
    database = r.at(level, 'postgres_db')?.value ?? database;
    user = r.at(level, 'postgres_user')?.value ?? user;
    password = r.at(level, 'postgres_password')?.value ?? password;
    const file = r.at(level, 'postgres_password_file');
    if (file) password = readSecretFile(file);
    const urlRaw = r.at(level, 'database_url');
    if (urlRaw) {
      const url = parseUrl(urlRaw, ['postgres://', 'postgresql://']);
      const socketDir = url.searchParams.get('host');
      if (socketDir) host = socketDir;
      else if (url.hostname) host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1');
      if (url.port) port = parsePort({ ...urlRaw, value: url.port });
      if (url.pathname.length > 1) database = decodeURIComponent(url.pathname.slice(1));
      if (url.username) user = decodeURIComponent(url.username);
      if (url.password) password = decodeURIComponent(url.password);
    }
  }
  const tls = postgresTls(r);
  return { host, port, database, user, password, ...(tls ? { tls } : {}) };
}

function readRedis(r: Resolver): RedisConfig {
  let host = r.fallback('redis_host').value;
  let port = parsePort(r.fallback('redis_port'));
  let db = parseInteger(r.fallback('redis_db'), 0, 1_000_000);
  let user: string | undefined;
  let password: string | undefined;
  let tls = false;
  for (const level of LEVELS_LOW_TO_HIGH) {
    const ownHost = r.at(level, 'redis_host');
    if (ownHost) host = parseHost(ownHost);
    const ownPort = r.at(level, 'redis_port');
    if (ownPort) port = parsePort(ownPort);
    const ownDb = r.at(level, 'redis_db');
    if (ownDb) db = parseInteger(ownDb, 0, 1_000_000);
    user = r.at(level, 'redis_user')?.value ?? user;
    password = r.at(level, 'redis_password')?.value ?? password;
    const file = r.at(level, 'redis_password_file');
    if (file) password = readSecretFile(file);
    const urlRaw = r.at(level, 'redis_url');
    if (urlRaw) {
      const url = parseUrl(urlRaw, ['redis://', 'rediss://']);
      tls = url.protocol === 'rediss:';
      if (url.hostname) host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (url.port) port = parsePort({ ...urlRaw, value: url.port });
      const dbText = url.pathname.replace(/^\//, '');
      if (dbText) db = parseInteger({ ...urlRaw, value: dbText }, 0, 1_000_000);
      if (url.username) user = decodeURIComponent(url.username);
      if (url.password) password = decodeURIComponent(url.password);
    }
  }
  const tlsOptions = redisTls(r);
  return {
    host,
    port,
    db,
    tls: tls || tlsOptions !== undefined,
    ...(tlsOptions ? { tlsOptions } : {}),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
  };
}

export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const flags = parseFlags(argv);
  if (flags === 'help' || flags === 'version') return { kind: flags };
  const r = new Resolver(flags, readEnvironment(env));
  const version = r.raw('dispatcharr_version')?.value.trim();
  const timestamp = r.raw('dispatcharr_timestamp')?.value.trim();
  const pluginKey = r.raw('plugin_key')?.value.trim();
  const config: Config = {
    settings: readSettings(r),
    logLevel: parseLogLevel(r.required('log_level')),
    accessLog: r.boolean('access_log'),
    scrapeTimeoutSeconds: parseSeconds(r.required('scrape_timeout')),
    ...(pluginKey ? { pluginKey } : {}),
    dispatcharr: { ...(version ? { version } : {}), ...(timestamp ? { timestamp } : {}) },
    postgres: readPostgres(r),
    redis: readRedis(r),
  };
  return { kind: 'run', config };
}
