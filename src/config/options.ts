/**
 * Every option the exporter understands, in one table: its key, kind, flag, environment variable(s),
 * default and help. Everything else derives from it: the `Settings` type and its defaults, the
 * environment names, `--help`, the plugin fields of plugin.json, the plugin settings re-read on every
 * scrape, the collectors' gates and the labels of `dispatcharr_exporter_settings_info`.
 *
 * The seed's plugin settings keep their seed names as keys; connection options use Dispatcharr's own
 * environment variable names, so a compose file can share Dispatcharr's env block.
 */
import {
  exporter,
  external,
  gate,
  type OptionSpec,
  type PluginField,
  backendOption,
  endpointOptions,
  setting,
  tlsOptions,
} from './option-spec.js';
import type { KindValues } from './values.js';

export type { OptionGroup, OptionKind, OptionSpec, PluginApplies, PluginField } from './option-spec.js';

const PG_URL_HELP = 'postgres://user:password@host:port/db; its parts win over POSTGRES_* given at the same level';
const PG_HOST_HELP = 'Host name, address, or Unix-socket directory (e.g. /var/run/postgresql)';
const PG_SSL_MODE_HELP =
  'With POSTGRES_SSL: require (encrypt only), verify-ca (check the certificate chain), verify-full (chain and host name) or disable; a DATABASE_URL sslmode wins at its level';
const REDIS_URL_HELP = 'redis://[user:password@]host:port/db (rediss:// for TLS); its parts win over REDIS_* given at the same level';

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
    'web_config_file',
    'path',
    '',
    'Web configuration file (TLS, basic auth, response headers) in the Prometheus exporter-toolkit format; re-read when it changes',
    {
      label: 'Web Config File',
      help: 'Path of a web configuration file (TLS, basic auth) in the Prometheus exporter-toolkit format; Restart to apply',
      applies: 'restart',
    },
  ),
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
  setting(
    'metrics_layout',
    'metrics-layout',
    'v2',
    "Metric names and labels: v2 (the original plugin's v2 series, the default) or v3 (its v3 series: *_bps, a type label, live and VOD streams in the same families)",
    {
      label: 'Metrics Layout',
      help: 'v2: the original v2 names (default). v3: the v3 names (*_bps, type label, live and VOD together)',
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
    'include_user_stats',
    'false',
    'Per-user families: usernames, levels, stream limits and streams in use (personal data)',
    'Include User Metrics',
    'Per-user metrics; exposes Dispatcharr usernames',
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
  exporter(
    'demo',
    'boolean',
    'false',
    'Serve a simulated busy Dispatcharr instead of reading PostgreSQL and Redis, with every include_* switch on unless set (legacy ones aside)',
  ),
  exporter('log_level', 'log-level', 'info', 'debug, info, warn or error'),
  exporter('access_log', 'boolean', 'false', 'Log every HTTP request'),
  exporter(
    'max_connections',
    'integer',
    '512',
    'Open HTTP connections kept at most; at the cap the connection idle the longest is closed for a new one (0 = no cap)',
  ),
  exporter('max_requests', 'integer', '40', 'Scrapes answered at once; more get 503 (0 = no cap)'),
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

  external('PostgreSQL', 'database_url', 'postgres-url', 'DATABASE_URL', undefined, PG_URL_HELP),
  ...endpointOptions('postgres', PG_HOST_HELP, ['string', 'dispatcharr', 'Database name'], ['dispatch', 'User (SELECT rights suffice)']),
  ...tlsOptions('postgres', 'Connect with TLS, in POSTGRES_SSL_MODE (a DATABASE_URL sslmode turns TLS on or off at its level)'),
  backendOption('postgres', 'ssl_mode', 'ssl-mode', 'verify-full', PG_SSL_MODE_HELP),

  external('Redis', 'redis_url', 'redis-url', 'REDIS_URL', undefined, REDIS_URL_HELP),
  ...endpointOptions('redis', 'Host name or address', ['integer', '0', 'Database number'], [undefined, 'ACL user (Redis 6+)']),
  ...tlsOptions('redis', 'Connect with TLS (as a rediss:// URL does)'),
  backendOption('redis', 'ssl_verify', 'boolean', 'true', "Verify the server's certificate"),
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
