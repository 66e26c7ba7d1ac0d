/** Builds the configuration from flags, then environment, then defaults. */
import { readPostgres, readRedis } from './connections.js';
import { PLUGIN_OPTIONS } from './options.js';
import { parseFlags, Resolver, readEnvironment } from './resolver.js';
import type { Config, Settings } from './settings.js';

export type Command = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'version' };

function readSettings(r: Resolver): Settings {
  return Object.fromEntries(PLUGIN_OPTIONS.map((spec) => [spec.key, r.required(spec.key)])) as unknown as Settings;
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
  const config: Config = {
    settings: readSettings(r),
    logLevel: r.required('log_level'),
    accessLog: r.required('access_log'),
    limits: { maxConnections: r.required('max_connections'), maxRequests: r.required('max_requests') },
    scrapeTimeoutSeconds: r.required('scrape_timeout'),
    ...(pluginKey && { pluginKey }),
    dispatcharr: { ...(version && { version }), ...(timestamp && { timestamp }) },
    postgres: readPostgres(r),
    redis: readRedis(r),
  };
  return { kind: 'run', config };
}
