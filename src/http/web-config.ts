/**
 * The web configuration file (TLS and basic auth of the exporter's own HTTP server), in the format of the
 * Prometheus exporter-toolkit: `tls_server_config`, `http_server_config` and `basic_auth_users`. A file is
 * read and checked as a whole: every problem is a WebConfigError with one line saying where and what, and a
 * key this exporter does not implement is refused rather than silently ignored (except the Go-only tuning
 * keys listed in IGNORED_TLS_KEYS, which Node's TLS has no equivalent for). Relative file names are relative to
 * the folder of the configuration file, as in exporter-toolkit.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readTls, type WebTlsConfig } from './web-config-tls.js';
import { checkKeys, hasControl, mapping, type Reader, WebConfigError } from './web-config-yaml.js';

export { CLIENT_AUTH_TYPES, type ClientAuthType, type TlsVersion, type WebTlsConfig } from './web-config-tls.js';
export { WebConfigError } from './web-config-yaml.js';

export interface WebConfig {
  /** Absent: plain HTTP. */
  readonly tls?: WebTlsConfig;
  /** User name → bcrypt hash; empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
  /** Extra response headers (canonical names), sent on every answer. */
  readonly headers: Readonly<Record<string, string>>;
  /** Keys that were accepted but have no effect here (`tls_server_config.cipher_suites`...), to log. */
  readonly ignored: readonly string[];
  /** Absolute paths of the files read: the configuration file first, then the files it names. */
  readonly files: readonly string[];
}

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'];
const HTTP_KEYS = ['http2', 'headers'];
/**
 * The response headers exporter-toolkit allows, by lower-case name, with the values it accepts (undefined: any
 * text). Every other header is refused: the exporter sets the ones HTTP needs itself, and a configuration file
 * must not be able to change Content-Type, Content-Length, Connection or WWW-Authenticate.
 */
const HEADERS: Readonly<Record<string, { readonly name: string; readonly values?: readonly string[] }>> = {
  'content-security-policy': { name: 'Content-Security-Policy' },
  'x-frame-options': { name: 'X-Frame-Options', values: ['deny', 'sameorigin'] },
  'x-content-type-options': { name: 'X-Content-Type-Options', values: ['nosniff'] },
  'x-xss-protection': { name: 'X-XSS-Protection' },
  'strict-transport-security': { name: 'Strict-Transport-Security' },
};

/** `$2a$`, `$2b$` or `$2y$` (what htpasswd -B writes), a cost from 04 to 31, then 22 characters of salt and 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** The cost factor of a bcrypt hash the parser accepted. */
export function bcryptCost(hash: string): number {
  return Number(BCRYPT_HASH.exec(hash)?.[1] ?? 10);
}

function readHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [given, text] of Object.entries(mapping(value, 'http_server_config.headers'))) {
    const known = HEADERS[given.toLowerCase()];
    if (!known) {
      const names = Object.values(HEADERS).map((h) => h.name);
      throw new WebConfigError(`http_server_config.headers: ${given} cannot be set here (allowed: ${names.join(', ')})`);
    }
    // Blank unsets, as in exporter-toolkit.
    if (text === null || text === undefined || text === '') continue;
    if (typeof text !== 'string') throw new WebConfigError(`http_server_config.headers.${known.name} must be a string`);
    if (hasControl(text)) throw new WebConfigError(`http_server_config.headers.${known.name} holds a control character`);
    if (known.values && !known.values.includes(text.toLowerCase())) {
      throw new WebConfigError(`http_server_config.headers.${known.name} must be ${known.values.join(' or ')}`);
    }
    headers[known.name] = text;
  }
  return headers;
}

function readHttp(value: unknown): Record<string, string> {
  const http = mapping(value, 'http_server_config');
  checkKeys(http, HTTP_KEYS, 'http_server_config');
  // HTTP/2 is not served (Prometheus scrapes over HTTP/1.1 as well); the switch is accepted for compatibility.
  if (http['http2'] !== undefined && http['http2'] !== null && typeof http['http2'] !== 'boolean') {
    throw new WebConfigError('http_server_config.http2 must be true or false');
  }
  return readHeaders(http['headers']);
}

function readUsers(value: unknown): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, hash] of Object.entries(mapping(value, 'basic_auth_users'))) {
    if (user === '') throw new WebConfigError('basic_auth_users: a user name is empty');
    if (user.includes(':')) throw new WebConfigError(`basic_auth_users: user name ${JSON.stringify(user)} holds a colon`);
    if (hasControl(user)) throw new WebConfigError(`basic_auth_users: user name ${JSON.stringify(user)} holds a control character`);
    // The hash is a secret: never shown.
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
      throw new WebConfigError(
        `basic_auth_users: the password of ${JSON.stringify(user)} is not a bcrypt hash ($2y$, $2b$ or $2a$, a cost from 04 to 31, 53 characters; htpasswd -nBC 10 "" makes one)`,
      );
    }
    users.set(user, hash);
  }
  return users;
}

/** Parses the text of a web configuration file whose folder is `dir`; `read` reads the files it names. */
export function parseWebConfig(
  text: string,
  configPath: string,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): WebConfig {
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, logLevel: 'error' });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    throw new WebConfigError(`not valid YAML: ${message.replace(/:$/, '')}`);
  }
  const top = mapping(document, 'the file');
  checkKeys(top, TOP_KEYS, '');
  const reader: Reader = { dir: dirname(resolve(configPath)), files: [resolve(configPath)], read };
  const ignored: string[] = [];
  try {
    const tls = readTls(top['tls_server_config'], reader, ignored);
    const headers = readHttp(top['http_server_config']);
    const users = readUsers(top['basic_auth_users']);
    return { users, headers, ignored, files: reader.files, ...(tls && { tls }) };
  } catch (error) {
    if (error instanceof WebConfigError) error.files = reader.files;
    throw error;
  }
}

/** Reads and checks a web configuration file; a WebConfigError says what is wrong (the caller names the file). */
export function readWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new WebConfigError(`cannot read the file: ${code}`);
  }
  return parseWebConfig(text, path);
}
