/** Parsers for option values, one per option kind. Each returns the value or throws a ConfigError naming the option. */
import { readFileSync } from 'node:fs';
import { redactUrl } from '../redact.js';
import { ConfigError } from './errors.js';
import type { OptionKind } from './options.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
/** v2: the seed's metric names (the original plugin's v2 series); v3: the names and labels of its v3 series. */
export type MetricsLayout = 'v2' | 'v3';
export const METRICS_LAYOUTS: readonly MetricsLayout[] = ['v2', 'v3'];

export interface RawValue {
  readonly key: string;
  readonly value: string;
  /** Where the value came from: a flag, an environment variable, `default`, or the Plugins page. */
  readonly origin: string;
}

function invalid(raw: RawValue, expected: string, shownValue = raw.value): ConfigError {
  return new ConfigError(`invalid ${raw.key} ${JSON.stringify(shownValue)} (from ${raw.origin}): ${expected}`);
}

/** The words accepted for true and false, by the exporter and by the plugin settings it re-reads. */
export const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes', 'on']);
export const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no', 'off']);

export function parseBoolean(raw: RawValue): boolean {
  const word = raw.value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw invalid(raw, 'expected true or false');
}

export function parseInteger(raw: RawValue, min: number, max: number): number {
  const text = raw.value.trim();
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(raw, `expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function parsePort(raw: RawValue): number {
  return parseInteger(raw, 1, 65535);
}

function parseSeconds(raw: RawValue): number {
  const text = raw.value.trim();
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value <= 3600)) throw invalid(raw, 'expected a number of seconds above 0 and at most 3600');
  return value;
}

export function parseHost(raw: RawValue): string {
  const text = raw.value.trim();
  if (text === '' || /\s/.test(text)) throw invalid(raw, 'expected a host name, an IP address or a socket directory');
  return text;
}

function parseLogLevel(raw: RawValue): LogLevel {
  const word = raw.value.trim().toLowerCase();
  if (word === 'debug' || word === 'info' || word === 'warn' || word === 'error') return word;
  throw invalid(raw, 'expected debug, info, warn or error');
}

const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

function parseSslMode(raw: RawValue): SslMode {
  const word = raw.value.trim().toLowerCase();
  if (word === 'allow' || word === 'prefer') {
    throw invalid(raw, `${word} may fall back to plain text, which the exporter never does: use require (encrypted) or disable`);
  }
  const mode = SSL_MODES.find((m) => m === word);
  if (!mode) throw invalid(raw, `expected ${SSL_MODES.join(', ')}`);
  return mode;
}

function parseMetricsLayout(raw: RawValue): MetricsLayout {
  const layout = METRICS_LAYOUTS.find((l) => l === raw.value.trim().toLowerCase());
  if (!layout) throw invalid(raw, `expected ${METRICS_LAYOUTS.join(' or ')}`);
  return layout;
}

/**
 * A URL as an error message may show it: the scheme and what follows the last `@`, so no part of a user name
 * or password appears, however malformed the URL is; secret query parameters redacted.
 */
export function maskedUrl(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(text.trim());
  if (!match) return '(not shown)';
  const rest = match[2] ?? '';
  const at = rest.lastIndexOf('@');
  return at === -1 ? redactUrl(text.trim()) : `${match[1]}…@${redactUrl(rest.slice(at + 1))}`;
}

const ENCODE_HINT = 'write / # ? @ : and % in a user name or password as %2F %23 %3F %40 %3A and %25';

function parseUrl(raw: RawValue, schemes: readonly string[]): URL {
  const text = raw.value.trim();
  const shown = maskedUrl(text);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme || !schemes.includes(`${scheme}://`)) throw invalid(raw, `expected a URL starting with ${schemes.join(' or ')}`, shown);
  let url: URL;
  try {
    // libpq accepts an empty host (`postgresql://user@/db?host=/run/postgresql`); WHATWG URL does not.
    url = new URL(text.replace(/^([a-z]+:\/\/)([^/@]*@)?\//i, '$1$2localhost/'));
  } catch {
    const credentials = text.slice(scheme.length + 3, Math.max(scheme.length + 3, text.lastIndexOf('@')));
    const unencoded = /[/#?]|%(?![0-9a-f]{2})|:.*:/i.test(credentials);
    throw invalid(raw, `not a valid URL (${unencoded ? ENCODE_HINT : 'check the host and port'})`, shown);
  }
  // An unencoded / # or ? in a password moves the rest of the credentials into the path, query or fragment.
  if (text.includes('@') && url.username === '' && url.password === '') throw invalid(raw, `not a valid URL (${ENCODE_HINT})`, shown);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw invalid(raw, `the user name or password holds a % that is no percent-encoding (${ENCODE_HINT})`, shown);
  }
  return url;
}

/** An empty base URL is allowed (logo URLs stay relative); a trailing slash is dropped. */
function parseHttpUrl(raw: RawValue): string {
  const text = raw.value.trim();
  if (text === '') return '';
  parseUrl(raw, ['http://', 'https://']);
  return text.replace(/\/+$/, '');
}

function readSecretFile(raw: RawValue): string {
  try {
    return readFileSync(raw.value, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError(`cannot read ${raw.key} ${JSON.stringify(raw.value)} (from ${raw.origin}): ${reason}`);
  }
}

export interface KindValues {
  boolean: boolean;
  port: number;
  host: string;
  string: string;
  integer: number;
  seconds: number;
  'log-level': LogLevel;
  /** The file's contents (password and certificate files), read at start so a bad path fails at once. */
  file: string;
  /** A file name, kept as given (trimmed; empty = none): the web configuration file, read and checked by the loader. */
  path: string;
  'http-url': string;
  'postgres-url': URL;
  'redis-url': URL;
  'ssl-mode': SslMode;
  'metrics-layout': MetricsLayout;
}

const REDIS_DB_MAX = 1_000_000;

export const PARSERS: { readonly [K in OptionKind]: (raw: RawValue) => KindValues[K] } = {
  boolean: parseBoolean,
  port: parsePort,
  host: parseHost,
  string: (raw) => raw.value,
  integer: (raw) => parseInteger(raw, 0, REDIS_DB_MAX),
  seconds: parseSeconds,
  'log-level': parseLogLevel,
  file: readSecretFile,
  path: (raw) => raw.value.trim(),
  'http-url': parseHttpUrl,
  'postgres-url': (raw) => parseUrl(raw, ['postgres://', 'postgresql://']),
  'redis-url': (raw) => parseUrl(raw, ['redis://', 'rediss://']),
  'ssl-mode': parseSslMode,
  'metrics-layout': parseMetricsLayout,
};
