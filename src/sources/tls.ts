import type { ConnectionOptions } from 'node:tls';
import type { TlsConfig } from '../config/settings.js';

/** node:tls options for a configured TLS connection (PostgreSQL or Redis). */
export function nodeTlsOptions(tls: TlsConfig): ConnectionOptions {
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.ca !== undefined && { ca: tls.ca }),
    ...(tls.cert !== undefined && { cert: tls.cert }),
    ...(tls.key !== undefined && { key: tls.key }),
    // PostgreSQL verify-ca: the chain must be trusted, the name on the certificate need not match.
    ...(tls.verify && !tls.verifyHost && { checkServerIdentity: () => undefined }),
  };
}
