/**
 * Every option the exporter understands, in one table: its key, kind, flag, environment variable(s),
 * default and help. Everything else derives from it: the `Settings` type and its defaults, the
 * environment names, `--help`, the plugin fields of plugin.json, the plugin settings re-read on every
 * scrape, the collectors' gates and the labels of `dispatcharr_exporter_settings_info`.
 *
 * The seed's plugin settings keep their seed names as keys; connection options use Dispatcharr's own
 * environment variable names, so a compose file can share Dispatcharr's env block.
 */

/** What an option's value is; the kind chooses the parser (values.ts). */
export type OptionKind =
  | 'boolean'
  | 'port'
  | 'host'
  | 'string'
  | 'integer'
  | 'seconds'
  | 'log-level'
  | 'file'
  | 'http-url'
  | 'postgres-url'
  | 'redis-url'
  | 'ssl-mode';

export type OptionGroup = 'Plugin settings' | 'Exporter' | 'Dispatcharr' | 'PostgreSQL' | 'Redis';

/** How a plugin setting reaches a running exporter. */
export type PluginApplies =
  /** Re-read from Dispatcharr's database on every scrape. */
  | 'scrape'
  /** Passed on the command line: takes effect when the exporter (re)starts. */
  | 'restart';

/** A field on Dispatcharr's Plugins page. */
export interface PluginField {
  readonly label: string;
  /** Help text under the field; the option's help when absent. */
  readonly help?: string;
  readonly applies: PluginApplies;
}

export interface OptionSpec {
  readonly key: string;
  readonly kind: OptionKind;
  /** `--name`; null for options given by environment only (passwords, so they never show in a process list). */
  readonly flag: string | null;
  readonly env: readonly string[];
  readonly default?: string;
  readonly help: string;
  readonly group: OptionGroup;
  /** Seed plugin settings: part of `Settings` and shown on Dispatcharr's Plugins page. */
  readonly plugin?: PluginField;
}

import type { KindValues } from './values.js';

const EXPORTER_ENV = 'DISPATCHARR_EXPORTER_';

const flagOf = (key: string): string => `--${key.replace(/_/g, '-')}`;

/** An option whose key and kind keep their literal types, so `Settings` can be derived from the table. */
type Spec<K extends string, T extends OptionKind> = OptionSpec & { readonly key: K; readonly kind: T };

function setting<const K extends string, const T extends OptionKind>(
  key: K,
  kind: T,
  defaultValue: string,
  help: string,
  plugin: PluginField,
): Spec<K, T> & { readonly plugin: PluginField; readonly flag: string; readonly default: string } {
  return {
    key,
    kind,
    flag: flagOf(key),
    env: [`${EXPORTER_ENV}${key.toUpperCase()}`],
    default: defaultValue,
    help,
    group: 'Plugin settings',
    plugin,
  };
}

/** A switch for a group of metric families, off unless the default says otherwise; applies on the next scrape. */
function gate<const K extends `include_${string}`>(
  key: K,
  defaultValue: 'true' | 'false',
  help: string,
  label: string,
  pluginHelp: string,
) {
  return setting(key, 'boolean', defaultValue, help, { label, help: pluginHelp, applies: 'scrape' });
}

function exporter<const K extends string, const T extends OptionKind>(
  key: K,
  kind: T,
  defaultValue: string | undefined,
  help: string,
): Spec<K, T> {
  const env = [`${EXPORTER_ENV}${key.toUpperCase()}`];
  return { key, kind, flag: flagOf(key), env, help, group: 'Exporter', ...(defaultValue !== undefined && { default: defaultValue }) };
}

/** An option named by Dispatcharr's own environment variable; `flag: false` for environment-only secrets. */
function external<const K extends string, const T extends OptionKind>(
  group: 'Dispatcharr' | 'PostgreSQL' | 'Redis',
  key: K,
  kind: T,
  env: string,
  defaultValue: string | undefined,
  help: string,
  flag = true,
): Spec<K, T> {
  return {
    key,
    kind,
    flag: flag ? flagOf(key) : null,
    env: [env],
    help,
    group,
    ...(defaultValue !== undefined && { default: defaultValue }),
  };
}

const pg = <const K extends string, const T extends OptionKind>(key: K, kind: T, env: string, def: string | undefined, help: string) =>
  external('PostgreSQL', key, kind, env, def, help);
const redis = <const K extends string, const T extends OptionKind>(key: K, kind: T, env: string, def: string | undefined, help: string) =>
  external('Redis', key, kind, env, def, help);

export const OPTIONS = [
  setting('auto_start', 'boolean', 'false', 'Plugin mode: start the exporter when Dispatcharr starts (the launcher reads it)', {
    label: 'Auto-start Server',
    help: 'Start the metrics server when Dispatcharr starts, and bring it back if it stops unexpectedly',
    applies: 'restart',
  }),
  setting('port', 'port', '9192', 'TCP port of the HTTP server', {
    label: 'Metrics Server Port',
    help: 'Port for the HTTP metrics server (Restart to apply)',
    applies: 'restart',
  }),
  setting('host', 'host', '0.0.0.0', 'Address to bind (0.0.0.0 = all interfaces, 127.0.0.1 = local only)', {
    label: 'Metrics Server Host',
    help: '0.0.0.0 listens on every interface, 127.0.0.1 on this machine only (Restart to apply)',
    applies: 'restart',
  }),
  setting(
    'base_url',
    'http-url',
    '',
    "Dispatcharr's public URL; makes logo URLs absolute and lets the exporter ask Dispatcharr its version",
    {
      label: 'Dispatcharr URL',
      help: 'Optional, e.g. http://dispatcharr.lan:9191: makes logo URLs absolute',
      applies: 'scrape',
    },
  ),
  gate(
    'include_m3u_stats',
    'true',
    'M3U account and provider profile families',
    'Include M3U Account Metrics',
    'M3U accounts, provider profile connections and subscription expiry',
  ),
  gate('include_epg_stats', 'false', 'EPG source families', 'Include EPG Source Metrics', 'EPG source status and priority'),
  gate('include_vod_stats', 'false', 'VOD session families', 'Include VOD Metrics', 'VOD sessions and streams'),
  gate(
    'include_client_stats',
    'false',
    'Per-viewer families (IP address, user agent: personal data)',
    'Include Client Connection Statistics',
    'Per-viewer metrics; exposes IP addresses and user agents',
  ),
  gate(
    'include_source_urls',
    'false',
    'Provider server URLs and XC usernames as labels (passwords are always redacted)',
    'Include Source URLs',
    'Provider server URLs and XC usernames as labels (passwords are always redacted)',
  ),
  gate(
    'include_legacy_metrics',
    'false',
    'Deprecated families of exporter v1.1 and earlier',
    'Include Legacy Metric Formats',
    'Deprecated formats of v1.1 and earlier; only while migrating dashboards',
  ),

  exporter(
    'plugin_key',
    'string',
    undefined,
    "Plugin mode: re-read this plugin's saved include_* and base_url settings from Dispatcharr's database on every scrape",
  ),
  exporter('log_level', 'log-level', 'info', 'debug, info, warn or error'),
  exporter('access_log', 'boolean', 'false', 'Log every HTTP request'),
  exporter(
    'scrape_timeout',
    'seconds',
    '10',
    'Collection deadline in seconds when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds header',
  ),

  external(
    'Dispatcharr',
    'dispatcharr_version',
    'string',
    'DISPATCHARR_VERSION',
    undefined,
    "Dispatcharr's version for dispatcharr_info; else asked from {base_url}/api/core/version/",
  ),
  external(
    'Dispatcharr',
    'dispatcharr_timestamp',
    'string',
    'DISPATCHARR_TIMESTAMP',
    undefined,
    'Build timestamp of a Dispatcharr dev build, appended to the version',
  ),

  pg(
    'database_url',
    'postgres-url',
    'DATABASE_URL',
    undefined,
    'postgres://user:password@host:port/db; its parts win over POSTGRES_* given at the same level',
  ),
  pg('postgres_host', 'host', 'POSTGRES_HOST', 'localhost', 'Host name, address, or Unix-socket directory (e.g. /var/run/postgresql)'),
  pg('postgres_port', 'port', 'POSTGRES_PORT', '5432', 'Port'),
  pg('postgres_db', 'string', 'POSTGRES_DB', 'dispatcharr', 'Database name'),
  pg('postgres_user', 'string', 'POSTGRES_USER', 'dispatch', 'User (a role with SELECT rights is enough)'),
  external(
    'PostgreSQL',
    'postgres_password',
    'string',
    'POSTGRES_PASSWORD',
    'secret',
    'Password (environment only, so it never shows in a process list)',
    false,
  ),
  pg('postgres_password_file', 'file', 'POSTGRES_PASSWORD_FILE', undefined, 'File holding the password; wins over POSTGRES_PASSWORD'),
  pg('postgres_ssl', 'boolean', 'POSTGRES_SSL', 'false', 'Connect with TLS'),
  pg(
    'postgres_ssl_mode',
    'ssl-mode',
    'POSTGRES_SSL_MODE',
    'verify-full',
    'require (encrypt only), verify-ca (check the certificate chain) or verify-full (chain and host name)',
  ),
  pg('postgres_ssl_ca_cert', 'file', 'POSTGRES_SSL_CA_CERT', undefined, 'CA certificate file (PEM) to verify the server with'),
  pg('postgres_ssl_cert', 'file', 'POSTGRES_SSL_CERT', undefined, 'Client certificate file (PEM)'),
  pg('postgres_ssl_key', 'file', 'POSTGRES_SSL_KEY', undefined, 'Client key file (PEM)'),

  redis(
    'redis_url',
    'redis-url',
    'REDIS_URL',
    undefined,
    'redis://[user:password@]host:port/db (rediss:// for TLS); its parts win over REDIS_* given at the same level',
  ),
  redis('redis_host', 'host', 'REDIS_HOST', 'localhost', 'Host name or address'),
  redis('redis_port', 'port', 'REDIS_PORT', '6379', 'Port'),
  redis('redis_db', 'integer', 'REDIS_DB', '0', 'Database number'),
  redis('redis_user', 'string', 'REDIS_USER', undefined, 'ACL user (Redis 6+)'),
  external('Redis', 'redis_password', 'string', 'REDIS_PASSWORD', undefined, 'Password (environment only)', false),
  redis('redis_ssl', 'boolean', 'REDIS_SSL', 'false', 'Connect with TLS (as a rediss:// URL does)'),
  redis('redis_ssl_verify', 'boolean', 'REDIS_SSL_VERIFY', 'true', "Verify the server's certificate"),
  redis('redis_ssl_ca_cert', 'file', 'REDIS_SSL_CA_CERT', undefined, 'CA certificate file (PEM) to verify the server with'),
  redis('redis_ssl_cert', 'file', 'REDIS_SSL_CERT', undefined, 'Client certificate file (PEM)'),
  redis('redis_ssl_key', 'file', 'REDIS_SSL_KEY', undefined, 'Client key file (PEM)'),
  redis('redis_password_file', 'file', 'REDIS_PASSWORD_FILE', undefined, 'File holding the password; wins over REDIS_PASSWORD'),
] as const satisfies readonly OptionSpec[];

type Option = (typeof OPTIONS)[number];
export type OptionKey = Option['key'];
export type OptionOf<K extends OptionKey> = Extract<Option, { key: K }>;
/** The parsed value of each option, by key. */
export type OptionValues = { readonly [O in Option as O['key']]: KindValues[O['kind']] };

/** The seed's plugin settings, in table order: what `Settings` holds and Dispatcharr's Plugins page shows. */
export type PluginOption = Extract<Option, { plugin: PluginField }>;
export const PLUGIN_OPTIONS: readonly PluginOption[] = OPTIONS.filter((o): o is PluginOption => 'plugin' in o);

/** A switch that turns a group of metric families on or off; collectors name the one they need. */
export type Gate = Extract<PluginOption['key'], `include_${string}`>;
export const GATES: readonly Gate[] = PLUGIN_OPTIONS.flatMap((o) => (o.key.startsWith('include_') ? [o.key as Gate] : []));

export function optionByFlag(flag: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.flag === flag);
}

export function optionByKey<K extends OptionKey>(key: K): OptionOf<K> {
  const spec = OPTIONS.find((o): o is OptionOf<K> => o.key === key);
  if (!spec) throw new Error(`no option ${key}`);
  return spec;
}
