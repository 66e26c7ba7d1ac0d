/**
 * Every option the exporter understands: its flag, its environment variable(s), its kind and default.
 * The seed's plugin settings keep their seed names as `key`; connection settings use Dispatcharr's own
 * environment variable names so a compose file can share Dispatcharr's env block.
 */

export type OptionKind = 'boolean' | 'port' | 'string' | 'host' | 'url' | 'integer' | 'seconds' | 'log-level' | 'file';

export interface OptionSpec {
  readonly key: string;
  readonly flag: string;
  readonly env: readonly string[];
  readonly kind: OptionKind;
  readonly default?: string;
  readonly help: string;
  /** Section of `--help` and of the README table. */
  readonly group: 'Plugin settings' | 'Exporter' | 'PostgreSQL' | 'Redis' | 'Dispatcharr';
}

const EXPORTER_ENV = 'DISPATCHARR_EXPORTER_';

function setting(key: string, kind: OptionKind, defaultValue: string, help: string): OptionSpec {
  return {
    key,
    flag: `--${key.replace(/_/g, '-')}`,
    env: [`${EXPORTER_ENV}${key.toUpperCase()}`],
    kind,
    default: defaultValue,
    help,
    group: 'Plugin settings',
  };
}

export const OPTIONS: readonly OptionSpec[] = [
  setting('auto_start', 'boolean', 'false', 'Plugin mode: start the exporter when Dispatcharr starts (the launcher reads it)'),
  setting('port', 'port', '9192', 'TCP port of the HTTP server'),
  setting('host', 'host', '0.0.0.0', 'Address to bind (0.0.0.0 = all interfaces, 127.0.0.1 = local only)'),
  setting('base_url', 'url', '', "Dispatcharr's public URL; makes logo URLs absolute and lets the exporter ask Dispatcharr its version"),
  setting('include_m3u_stats', 'boolean', 'true', 'M3U account and provider profile families'),
  setting('include_epg_stats', 'boolean', 'false', 'EPG source families'),
  setting('include_vod_stats', 'boolean', 'false', 'VOD session families'),
  setting('include_client_stats', 'boolean', 'false', 'Per-viewer families (IP address, user agent: personal data)'),
  setting('include_source_urls', 'boolean', 'false', 'Provider server URLs and XC usernames as labels (passwords are always redacted)'),
  setting('include_legacy_metrics', 'boolean', 'false', 'Deprecated families of exporter v1.1 and earlier'),

  {
    key: 'plugin_key',
    flag: '--plugin-key',
    env: [`${EXPORTER_ENV}PLUGIN_KEY`],
    kind: 'string',
    group: 'Exporter',
    help: "Plugin mode: re-read this plugin's saved include_* and base_url settings from Dispatcharr's database on every scrape",
  },
  {
    key: 'log_level',
    flag: '--log-level',
    env: [`${EXPORTER_ENV}LOG_LEVEL`],
    kind: 'log-level',
    default: 'info',
    group: 'Exporter',
    help: 'debug, info, warn or error',
  },
  {
    key: 'access_log',
    flag: '--access-log',
    env: [`${EXPORTER_ENV}ACCESS_LOG`],
    kind: 'boolean',
    default: 'false',
    group: 'Exporter',
    help: 'Log every HTTP request',
  },
  {
    key: 'scrape_timeout',
    flag: '--scrape-timeout',
    env: [`${EXPORTER_ENV}SCRAPE_TIMEOUT`],
    kind: 'seconds',
    default: '10',
    group: 'Exporter',
    help: 'Collection deadline in seconds when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds header',
  },

  {
    key: 'dispatcharr_version',
    flag: '--dispatcharr-version',
    env: ['DISPATCHARR_VERSION'],
    kind: 'string',
    group: 'Dispatcharr',
    help: "Dispatcharr's version for dispatcharr_info; else asked from {base_url}/api/core/version/",
  },
  {
    key: 'dispatcharr_timestamp',
    flag: '--dispatcharr-timestamp',
    env: ['DISPATCHARR_TIMESTAMP'],
    kind: 'string',
    group: 'Dispatcharr',
    help: 'Build timestamp of a Dispatcharr dev build, appended to the version',
  },

  {
    key: 'database_url',
    flag: '--database-url',
    env: ['DATABASE_URL'],
    kind: 'url',
    group: 'PostgreSQL',
    help: 'postgres://user:password@host:port/db; its parts win over POSTGRES_* given at the same level',
  },
  {
    key: 'postgres_host',
    flag: '--postgres-host',
    env: ['POSTGRES_HOST'],
    kind: 'host',
    default: 'localhost',
    group: 'PostgreSQL',
    help: 'Host name, address, or Unix-socket directory (e.g. /var/run/postgresql)',
  },
  {
    key: 'postgres_port',
    flag: '--postgres-port',
    env: ['POSTGRES_PORT'],
    kind: 'port',
    default: '5432',
    group: 'PostgreSQL',
    help: 'Port',
  },
  {
    key: 'postgres_db',
    flag: '--postgres-db',
    env: ['POSTGRES_DB'],
    kind: 'string',
    default: 'dispatcharr',
    group: 'PostgreSQL',
    help: 'Database name',
  },
  {
    key: 'postgres_user',
    flag: '--postgres-user',
    env: ['POSTGRES_USER'],
    kind: 'string',
    default: 'dispatch',
    group: 'PostgreSQL',
    help: 'User (a role with SELECT rights is enough)',
  },
  {
    key: 'postgres_password',
    flag: '',
    env: ['POSTGRES_PASSWORD'],
    kind: 'string',
    default: 'secret',
    group: 'PostgreSQL',
    help: 'Password (environment only, so it never shows in a process list)',
  },
  {
    key: 'postgres_password_file',
    flag: '--postgres-password-file',
    env: ['POSTGRES_PASSWORD_FILE'],
    kind: 'file',
    group: 'PostgreSQL',
    help: 'File holding the password; wins over POSTGRES_PASSWORD',
  },

  {
    key: 'postgres_ssl',
    flag: '--postgres-ssl',
    env: ['POSTGRES_SSL'],
    kind: 'boolean',
    default: 'false',
    group: 'PostgreSQL',
    help: 'Connect with TLS',
  },
  {
    key: 'postgres_ssl_mode',
    flag: '--postgres-ssl-mode',
    env: ['POSTGRES_SSL_MODE'],
    kind: 'string',
    default: 'verify-full',
    group: 'PostgreSQL',
    help: 'require (encrypt only), verify-ca (check the certificate chain) or verify-full (chain and host name)',
  },
  {
    key: 'postgres_ssl_ca_cert',
    flag: '--postgres-ssl-ca-cert',
    env: ['POSTGRES_SSL_CA_CERT'],
    kind: 'file',
    group: 'PostgreSQL',
    help: 'CA certificate file (PEM) to verify the server with',
  },
  {
    key: 'postgres_ssl_cert',
    flag: '--postgres-ssl-cert',
    env: ['POSTGRES_SSL_CERT'],
    kind: 'file',
    group: 'PostgreSQL',
    help: 'Client certificate file (PEM)',
  },
  {
    key: 'postgres_ssl_key',
    flag: '--postgres-ssl-key',
    env: ['POSTGRES_SSL_KEY'],
    kind: 'file',
    group: 'PostgreSQL',
    help: 'Client key file (PEM)',
  },

  {
    key: 'redis_url',
    flag: '--redis-url',
    env: ['REDIS_URL'],
    kind: 'url',
    group: 'Redis',
    help: 'redis://[user:password@]host:port/db (rediss:// for TLS); its parts win over REDIS_* given at the same level',
  },
  {
    key: 'redis_host',
    flag: '--redis-host',
    env: ['REDIS_HOST'],
    kind: 'host',
    default: 'localhost',
    group: 'Redis',
    help: 'Host name or address',
  },
  { key: 'redis_port', flag: '--redis-port', env: ['REDIS_PORT'], kind: 'port', default: '6379', group: 'Redis', help: 'Port' },
  { key: 'redis_db', flag: '--redis-db', env: ['REDIS_DB'], kind: 'integer', default: '0', group: 'Redis', help: 'Database number' },
  { key: 'redis_user', flag: '--redis-user', env: ['REDIS_USER'], kind: 'string', group: 'Redis', help: 'ACL user (Redis 6+)' },
  { key: 'redis_password', flag: '', env: ['REDIS_PASSWORD'], kind: 'string', group: 'Redis', help: 'Password (environment only)' },
  {
    key: 'redis_ssl',
    flag: '--redis-ssl',
    env: ['REDIS_SSL'],
    kind: 'boolean',
    default: 'false',
    group: 'Redis',
    help: 'Connect with TLS (as a rediss:// URL does)',
  },
  {
    key: 'redis_ssl_verify',
    flag: '--redis-ssl-verify',
    env: ['REDIS_SSL_VERIFY'],
    kind: 'boolean',
    default: 'true',
    group: 'Redis',
    help: "Verify the server's certificate",
  },
  {
    key: 'redis_ssl_ca_cert',
    flag: '--redis-ssl-ca-cert',
    env: ['REDIS_SSL_CA_CERT'],
    kind: 'file',
    group: 'Redis',
    help: 'CA certificate file (PEM) to verify the server with',
  },
  {
    key: 'redis_ssl_cert',
    flag: '--redis-ssl-cert',
    env: ['REDIS_SSL_CERT'],
    kind: 'file',
    group: 'Redis',
    help: 'Client certificate file (PEM)',
  },
  { key: 'redis_ssl_key', flag: '--redis-ssl-key', env: ['REDIS_SSL_KEY'], kind: 'file', group: 'Redis', help: 'Client key file (PEM)' },
  {
    key: 'redis_password_file',
    flag: '--redis-password-file',
    env: ['REDIS_PASSWORD_FILE'],
    kind: 'file',
    group: 'Redis',
    help: 'File holding the password; wins over REDIS_PASSWORD',
  },
];

export function optionByFlag(flag: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.flag === flag);
}

export function optionByKey(key: string): OptionSpec {
  const spec = OPTIONS.find((o) => o.key === key);
  if (!spec) throw new Error(`no option ${key}`);
  return spec;
}
