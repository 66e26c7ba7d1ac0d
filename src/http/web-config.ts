/**
 * The web configuration file (TLS and basic auth of the exporter's own HTTP server), in the format of the
 * Prometheus exporter-toolkit: `tls_server_config`, `http_server_config` and `basic_auth_users`. A file is
 * read and checked as a whole: every problem is a WebConfigError with one line saying where and what, and a
 * key this exporter does not implement is refused rather than silently ignored (except the Go-only tuning
 * keys listed in IGNORED_TLS_KEYS, which Node's TLS has no equivalent for). Relative file names are relative to
 * the folder of the configuration file, as in exporter-toolkit.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
  /** The files read before the problem was found (the configuration file first), to notice when one is fixed. */
  files: readonly string[] = [];
}

/** exporter-toolkit's names for Go's tls.ClientAuthType values. */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
const TLS_VERSIONS: Readonly<Record<string, TlsVersion>> = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export interface WebTlsConfig {
  /** PEM texts. */
  readonly cert: string;
  readonly key: string;
  /** CA certificates that client certificates are verified against. */
  readonly clientCa?: string;
  readonly clientAuth: ClientAuthType;
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
}

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
const TLS_KEYS = ['cert_file', 'key_file', 'cert', 'key', 'client_ca_file', 'client_ca', 'client_auth_type', 'min_version', 'max_version'];
/** Go crypto/tls tuning without a Node equivalent: accepted, and logged as ignored. */
const IGNORED_TLS_KEYS = ['cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites'];
const HTTP_KEYS = ['http2', 'headers'];
/** exporter-toolkit keys this exporter does not implement, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  rate_limit: 'not supported by this exporter (it caps scrapes in flight with --max-requests)',
  'tls_server_config.client_allowed_sans': 'not supported by this exporter (give the clients certificates of their own CA instead)',
};

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

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A mapping, or an empty one for an empty value (`key:` with nothing after it, as YAML allows). */
function mapping(value: unknown, where: string): YamlMap {
  if (value === null || value === undefined) return {};
  if (!isMap(value)) throw new WebConfigError(`${where} must be a mapping of keys to values`);
  return value;
}

function checkKeys(map: YamlMap, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(map)) {
    if (allowed.includes(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const reason = UNSUPPORTED[path];
    throw new WebConfigError(reason ? `${path} is ${reason}` : `unknown key ${path}${prefix ? '' : ' at the top level'}`);
  }
}

function optionalString(map: YamlMap, key: string, where: string): string | undefined {
  const value = map[key];
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new WebConfigError(`${where}.${key} must be a string`);
  return value;
}

/** Whether a text holds a control character (CR and LF would split a header). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

interface Reader {
  readonly dir: string;
  readonly files: string[];
  read(path: string): string;
}

/** The PEM text given inline (`cert`) or in a file (`cert_file`); both at once is refused, as exporter-toolkit does. */
function pemOf(tls: YamlMap, inline: string, file: string, reader: Reader): string | undefined {
  const text = optionalString(tls, inline, 'tls_server_config');
  const path = optionalString(tls, file, 'tls_server_config');
  if (text !== undefined && path !== undefined) {
    throw new WebConfigError(`tls_server_config: give ${inline} or ${file}, not both`);
  }
  if (path === undefined) return text;
  const absolute = resolve(reader.dir, path);
  reader.files.push(absolute);
  try {
    return reader.read(absolute);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new WebConfigError(`tls_server_config: cannot read ${file} ${JSON.stringify(absolute)}: ${code}`);
  }
}

function tlsVersion(tls: YamlMap, key: 'min_version' | 'max_version', fallback: TlsVersion): TlsVersion {
  const word = optionalString(tls, key, 'tls_server_config');
  if (word === undefined) return fallback;
  const version = TLS_VERSIONS[word];
  if (version) return version;
  if (word === 'TLS10' || word === 'TLS11') {
    throw new WebConfigError(`tls_server_config.${key} ${word} is not supported (TLS 1.0 and 1.1 are obsolete); use TLS12 or TLS13`);
  }
  throw new WebConfigError(`tls_server_config.${key} ${JSON.stringify(word)} is not a TLS version: use TLS12 or TLS13`);
}

function checkCertificates(cert: string, key: string, clientCa: string | undefined): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new WebConfigError('tls_server_config: the certificate is not a PEM certificate');
  }
  // OpenSSL asks for a passphrase, which a server cannot give: say so rather than "not a key".
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key)) {
    throw new WebConfigError('tls_server_config: the key is encrypted (give an unencrypted key)');
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new WebConfigError('tls_server_config: the key is not a PEM private key');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new WebConfigError("tls_server_config: the key does not belong to the certificate (the certificate's public key differs)");
  }
  if (clientCa !== undefined) {
    try {
      new X509Certificate(clientCa);
    } catch {
      throw new WebConfigError('tls_server_config: the client CA is not a PEM certificate');
    }
  }
}

function readTls(value: unknown, reader: Reader, ignored: string[]): WebTlsConfig | undefined {
  const tls = mapping(value, 'tls_server_config');
  checkKeys(tls, [...TLS_KEYS, ...IGNORED_TLS_KEYS], 'tls_server_config');
  for (const key of IGNORED_TLS_KEYS) if (tls[key] !== undefined && tls[key] !== null) ignored.push(`tls_server_config.${key}`);
  const authWord = optionalString(tls, 'client_auth_type', 'tls_server_config');
  const clientAuth = CLIENT_AUTH_TYPES.find((t) => t === (authWord ?? 'NoClientCert'));
  if (!clientAuth) {
    throw new WebConfigError(
      `tls_server_config.client_auth_type ${JSON.stringify(authWord)} is not one of ${CLIENT_AUTH_TYPES.join(', ')}`,
    );
  }
  const minVersion = tlsVersion(tls, 'min_version', 'TLSv1.2');
  const maxVersion = tlsVersion(tls, 'max_version', 'TLSv1.3');
  const cert = pemOf(tls, 'cert', 'cert_file', reader);
  const key = pemOf(tls, 'key', 'key_file', reader);
  const clientCa = pemOf(tls, 'client_ca', 'client_ca_file', reader);
  // exporter-toolkit serves plain HTTP when none of these is given (a section of comments, or versions only).
  if (cert === undefined && key === undefined && clientCa === undefined && authWord === undefined) return undefined;
  if (cert === undefined) throw new WebConfigError('tls_server_config: missing cert_file (or cert)');
  if (key === undefined) throw new WebConfigError('tls_server_config: missing key_file (or key)');
  if (minVersion > maxVersion) throw new WebConfigError('tls_server_config: min_version is above max_version');
  const verifies = clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert';
  if (verifies && clientCa === undefined) {
    throw new WebConfigError(`tls_server_config: client_auth_type ${clientAuth} needs client_ca_file, the CA to verify clients with`);
  }
  if (clientAuth === 'NoClientCert' && clientCa !== undefined) {
    throw new WebConfigError(
      'tls_server_config: client_ca_file is set but client_auth_type is NoClientCert (set it to RequireAndVerifyClientCert)',
    );
  }
  checkCertificates(cert, key, clientCa);
  return { cert, key, clientAuth, minVersion, maxVersion, ...(clientCa !== undefined && { clientCa }) };
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
