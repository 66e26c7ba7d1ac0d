/** The shape of one option and the builders the option table (options.ts) is written with. */

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
  | 'path'
  | 'http-url'
  | 'postgres-url'
  | 'redis-url'
  | 'ssl-mode'
  | 'metrics-layout';

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

const EXPORTER_ENV = 'DISPATCHARR_EXPORTER_';

const flagOf = (key: string): string => `--${key.replace(/_/g, '-')}`;

/** An option whose key and kind keep their literal types, so `Settings` can be derived from the table. */
export type Spec<K extends string, T extends OptionKind> = OptionSpec & { readonly key: K; readonly kind: T };

export function setting<const K extends string, const T extends OptionKind>(
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
export function gate<const K extends `include_${string}`>(
  key: K,
  defaultValue: 'true' | 'false',
  help: string,
  label: string,
  pluginHelp: string,
) {
  return setting(key, 'boolean', defaultValue, help, { label, help: pluginHelp, applies: 'scrape' });
}

export function exporter<const K extends string, const T extends OptionKind>(
  key: K,
  kind: T,
  defaultValue: string | undefined,
  help: string,
): Spec<K, T> {
  const env = [`${EXPORTER_ENV}${key.toUpperCase()}`];
  return { key, kind, flag: flagOf(key), env, help, group: 'Exporter', ...(defaultValue !== undefined && { default: defaultValue }) };
}

/** An option named by Dispatcharr's own environment variable; `flag: false` for environment-only secrets. */
export function external<const K extends string, const T extends OptionKind>(
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

type Backend = 'postgres' | 'redis';
const BACKEND_GROUP = { postgres: 'PostgreSQL', redis: 'Redis' } as const;
const BACKEND_ENV = { postgres: 'POSTGRES', redis: 'REDIS' } as const;

/** `<backend>_<name>`, set by Dispatcharr's variable `<BACKEND>_<NAME>`. */
export function backendOption<const B extends Backend, const N extends string, const T extends OptionKind>(
  backend: B,
  name: N,
  kind: T,
  defaultValue: string | undefined,
  help: string,
  flag = true,
): Spec<`${B}_${N}`, T> {
  const env = `${BACKEND_ENV[backend]}_${name.toUpperCase()}`;
  return external(BACKEND_GROUP[backend], `${backend}_${name}`, kind, env, defaultValue, help, flag);
}

/** Dispatcharr's own defaults for its connection variables. */
const DISPATCHARR_DEFAULTS = {
  postgres: { port: '5432', password: 'secret' },
  redis: { port: '6379', password: undefined },
} as const;

/**
 * Host, port, database, user, password (environment only, so it never shows in a process list) and
 * password file (which wins over the password) of one backend, named like Dispatcharr's variables.
 */
export function endpointOptions<const B extends Backend, const D extends OptionKind>(
  backend: B,
  hostHelp: string,
  db: readonly [kind: D, defaultValue: string, help: string],
  user: readonly [defaultValue: string | undefined, help: string],
) {
  const { port, password } = DISPATCHARR_DEFAULTS[backend];
  return [
    backendOption(backend, 'host', 'host', 'localhost', hostHelp),
    backendOption(backend, 'port', 'port', port, 'Port'),
    backendOption(backend, 'db', ...db),
    backendOption(backend, 'user', 'string', ...user),
    backendOption(backend, 'password', 'string', password, 'Password (environment only, so it never shows in a process list)', false),
    backendOption(backend, 'password_file', 'file', undefined, `File holding the password; wins over ${BACKEND_ENV[backend]}_PASSWORD`),
  ] as const;
}

/** Whether to use TLS and the PEM files it uses: `<backend>_ssl`, `_ssl_ca_cert`, `_ssl_cert` and `_ssl_key`. */
export function tlsOptions<const B extends Backend>(backend: B, sslHelp: string) {
  return [
    backendOption(backend, 'ssl', 'boolean', 'false', sslHelp),
    backendOption(backend, 'ssl_ca_cert', 'file', undefined, 'CA certificate file (PEM) to verify the server with'),
    backendOption(backend, 'ssl_cert', 'file', undefined, 'Client certificate file (PEM)'),
    backendOption(backend, 'ssl_key', 'file', undefined, 'Client key file (PEM)'),
  ] as const;
}
