/** The configuration the exporter runs with: the seed's plugin settings (derived from the option table) and the connections. */
import type { WebConfig } from '../http/web-config.js';
import type { OptionValues, PluginOption } from './options.js';
import type { LogLevel } from './values.js';

export type { LogLevel } from './values.js';

/** The seed's plugin settings, with the seed's names: one entry per plugin option of the table. */
export type Settings = Pick<OptionValues, PluginOption['key']>;

/** TLS options shared by both connections; PEM texts, read at start. */
export interface TlsConfig {
  /** Check the certificate chain. */
  readonly verify: boolean;
  /** Also check that the certificate names the host (PostgreSQL verify-full; always with Redis verification). */
  readonly verifyHost: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface PostgresConfig {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Given by a DATABASE_URL's application_name; else the exporter's own name. */
  readonly applicationName?: string;
  readonly tls?: TlsConfig;
}

export interface RedisConfig {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly user?: string;
  readonly password?: string;
  readonly tls: boolean;
  readonly tlsOptions?: TlsConfig;
}

export interface Config {
  readonly settings: Settings;
  /** Demo mode: snapshots come from a simulated Dispatcharr; PostgreSQL and Redis are never contacted. */
  readonly demo: boolean;
  readonly logLevel: LogLevel;
  readonly accessLog: boolean;
  readonly limits: { readonly maxConnections: number; readonly maxRequests: number };
  readonly scrapeTimeoutSeconds: number;
  /** Plugin mode: the Dispatcharr plugin key whose saved settings apply on every scrape. */
  readonly pluginKey?: string;
  readonly dispatcharr: { readonly version?: string; readonly timestamp?: string };
  /** Problems worth a warning at start that do not stop the exporter. */
  readonly warnings: readonly string[];
  readonly postgres: PostgresConfig;
  readonly redis: RedisConfig;
  /** The web configuration file (TLS, basic auth), read and checked at start; absent without web_config_file. */
  readonly web?: { readonly path: string; readonly config: WebConfig };
}
