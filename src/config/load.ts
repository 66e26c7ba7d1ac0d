/** Builds the configuration from flags, then environment, then defaults. */
import { readWebConfig, WebConfigError } from '../http/web-config.js';
import { readPostgres, readRedis } from './connections.js';
import { ConfigError } from './errors.js';
import { GATES, PLUGIN_OPTIONS } from './options.js';
import { LEVELS, parseFlags, Resolver, readEnvironment } from './resolver.js';
import type { Config, Settings } from './settings.js';

export type Command = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'version' };

function readSettings(r: Resolver): Settings {
  return Object.fromEntries(PLUGIN_OPTIONS.map((spec) => [spec.key, r.required(spec.key)])) as unknown as Settings;
}

/** Demo mode shows every current family: the include_* switches that no flag or variable sets are on, legacy ones aside. */
function withDemoGates(r: Resolver, settings: Settings): Settings {
  const unset = GATES.filter((gate) => gate !== 'include_legacy_metrics' && !r.rawAt('flags', gate) && !r.rawAt('env', gate));
  return { ...settings, ...Object.fromEntries(unset.map((gate) => [gate, true])) };
}

/** Passwords given in a flag show in every process list: say so, and where they belong instead. */
function commandLineSecrets(r: Resolver): string[] {
  const warnings: string[] = [];
  for (const [key, env] of [
    ['database_url', 'POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE'],
    ['redis_url', 'REDIS_PASSWORD or REDIS_PASSWORD_FILE'],
    ['base_url', 'DISPATCHARR_EXPORTER_BASE_URL'],
  ] as const) {
    const raw = r.rawAt('flags', key);
    if (raw && /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^@]*@/i.test(raw.value.trim())) {
      warnings.push(
        `the ${raw.origin} flag holds a password, which any user of this machine can read in the process list; use ${env} instead`,
      );
    }
  }
  return warnings;
}

/** The web configuration file, read and checked now, so a bad one stops the exporter at start. */
function readWeb(r: Resolver): Config['web'] {
  const path = r.get('web_config_file');
  if (!path) return undefined;
  try {
    return { path, config: readWebConfig(path) };
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error;
    const raw = [...LEVELS]
      .reverse()
      .map((level) => r.rawAt(level, 'web_config_file'))
      .find((v) => v !== undefined);
    throw new ConfigError(`invalid web_config_file ${JSON.stringify(path)} (from ${raw?.origin ?? 'default'}): ${error.message}`);
  }
}

function trimmed(text: string | undefined): string | undefined {
  const value = text?.trim();
  return value ? value : undefined;
}

export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const flags = parseFlags(argv);
  if (flags === 'help' || flags === 'version') return { kind: flags };
  const r = new Resolver(flags, readEnvironment(env));
  r.checkAll();
  const version = trimmed(r.get('dispatcharr_version'));
  const timestamp = trimmed(r.get('dispatcharr_timestamp'));
  const pluginKey = trimmed(r.get('plugin_key'));
  const demo = r.required('demo');
  const config: Config = {
    settings: demo ? withDemoGates(r, readSettings(r)) : readSettings(r),
    demo,
    logLevel: r.required('log_level'),
    accessLog: r.required('access_log'),
    limits: { maxConnections: r.required('max_connections'), maxRequests: r.required('max_requests') },
    scrapeTimeoutSeconds: r.required('scrape_timeout'),
    ...(pluginKey && { pluginKey }),
    dispatcharr: { ...(version && { version }), ...(timestamp && { timestamp }) },
    warnings: commandLineSecrets(r),
    postgres: readPostgres(r),
    redis: readRedis(r),
  };
  const web = readWeb(r);
  return { kind: 'run', config: web ? { ...config, web } : config };
}
