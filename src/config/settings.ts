/** The seed's plugin settings, with the seed's names and defaults. */

export interface Settings {
  readonly auto_start: boolean;
  readonly port: number;
  readonly host: string;
  readonly base_url: string;
  readonly include_m3u_stats: boolean;
  readonly include_epg_stats: boolean;
  readonly include_vod_stats: boolean;
  readonly include_client_stats: boolean;
  readonly include_source_urls: boolean;
  readonly include_legacy_metrics: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  auto_start: false,
  port: 9192,
  host: '0.0.0.0',
  base_url: '',
  include_m3u_stats: true,
  include_epg_stats: false,
  include_vod_stats: false,
  include_client_stats: false,
  include_source_urls: false,
  include_legacy_metrics: false,
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
  readonly logLevel: LogLevel;
  readonly accessLog: boolean;
  readonly scrapeTimeoutSeconds: number;
  /** Plugin mode: the Dispatcharr plugin key whose saved settings apply on every scrape. */
  readonly pluginKey?: string;
  readonly dispatcharr: { readonly version?: string; readonly timestamp?: string };
  readonly postgres: PostgresConfig;
  readonly redis: RedisConfig;
}
