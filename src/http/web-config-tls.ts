/** The `tls_server_config` section of the web configuration file: certificates, client authentication, versions. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { checkKeys, mapping, optionalString, type Reader, WebConfigError, type YamlMap } from './web-config-yaml.js';

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

const TLS_KEYS = ['cert_file', 'key_file', 'cert', 'key', 'client_ca_file', 'client_ca', 'client_auth_type', 'min_version', 'max_version'];
/** Go crypto/tls tuning without a Node equivalent: accepted, and logged as ignored. */
const IGNORED_TLS_KEYS = ['cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites'];
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

export function readTls(value: unknown, reader: Reader, ignored: string[]): WebTlsConfig | undefined {
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
