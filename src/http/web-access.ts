/**
 * The web configuration file at run time: the TLS options of the HTTPS server, the basic-auth check and extra
 * headers of every answer, and the reload when the file (or a certificate, key or CA file it names) changes. A
 * new file that does not pass the checks is logged and the last good configuration stays; a good one applies to
 * new connections (certificates, client verification) and new requests (users, headers). Switching TLS on or
 * off needs a restart, since the listening server is either HTTP or HTTPS.
 */
import { stat } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { errorMessage } from '../error-message.js';
import type { Logger } from '../log.js';
import { BasicAuth, type BasicAuthOptions } from './basic-auth.js';
import { readWebConfig, type WebConfig, WebConfigError, type WebTlsConfig } from './web-config.js';

/** How often the files are looked at; a change applies once it has been seen unchanged for one more look. */
export const WEB_CONFIG_POLL_MS = 1_000;

/** The Node options of an HTTPS server (or of its secure context) for a `tls_server_config`. */
export function tlsServerOptions(tls: WebTlsConfig): HttpsServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa !== undefined && { ca: tls.clientCa }),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    requestCert: tls.clientAuth !== 'NoClientCert',
    // The handshake itself refuses a missing or unverified certificate for this type; the others are checked after it.
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
  };
}

/** Why a client that completed the handshake is refused under the client_auth_type, or undefined when it is not. */
export function clientCertificateProblem(tls: WebTlsConfig, socket: TLSSocket): string | undefined {
  if (tls.clientAuth === 'NoClientCert' || tls.clientAuth === 'RequestClientCert') return undefined;
  const given = Object.keys(socket.getPeerCertificate()).length > 0;
  if (!given) return tls.clientAuth === 'VerifyClientCertIfGiven' ? undefined : 'no client certificate';
  if (tls.clientAuth === 'RequireAnyClientCert' || socket.authorized) return undefined;
  return `client certificate not verified: ${String(socket.authorizationError ?? 'unknown reason')}`;
}

/** The state of the files a configuration was read from, to notice a change (mtime, ctime, size, inode). */
async function filesState(files: readonly string[]): Promise<string> {
  const states = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (s) => `${s.mtimeMs}/${s.ctimeMs}/${s.size}/${s.ino}`,
        (error: NodeJS.ErrnoException) => `missing:${error.code ?? ''}`,
      ),
    ),
  );
  return states.join('|');
}

export interface WebAccessOptions {
  readonly pollMs?: number;
  readonly auth?: BasicAuthOptions;
}

export class WebAccess {
  private config: WebConfig;
  private auth: BasicAuth | undefined;
  private server: HttpsServer | undefined;
  /** The files looked at: those of the configuration in force, and of a refused one (so fixing a file it names counts). */
  private watched: readonly string[];
  private timer: NodeJS.Timeout | undefined;
  /** The files' state when the configuration in force (or the last refused one) was read. */
  private seen = '';
  /** A new state seen once, applied when the next look finds it unchanged. */
  private pending: string | undefined;
  private looking = false;

  constructor(
    readonly path: string,
    initial: WebConfig,
    private readonly logger: Logger,
    private readonly options: WebAccessOptions = {},
  ) {
    this.config = initial;
    this.watched = initial.files;
    this.auth = this.authFor(initial);
  }

  /** The TLS configuration in force; undefined for a plain HTTP server. */
  get tls(): WebTlsConfig | undefined {
    return this.config.tls;
  }

  get headers(): Readonly<Record<string, string>> {
    return this.config.headers;
  }

  /** Whether a request with this Authorization header may be answered; true when no users are configured. */
  authorize(header: string | undefined): boolean | Promise<boolean> {
    return this.auth ? this.auth.check(header) : true;
  }

  /** Logs what the configuration does, and enforces client_auth_type on the server's TLS connections. */
  attach(server: HttpServer | HttpsServer): void {
    this.describe('web config file loaded', this.config);
    if (!this.config.tls) return;
    const secure = server as HttpsServer;
    this.server = secure;
    secure.on('secureConnection', (socket: TLSSocket) => {
      const tls = this.config.tls;
      const problem = tls && clientCertificateProblem(tls, socket);
      if (problem) {
        this.logger.debug('TLS client refused', { remote: socket.remoteAddress, reason: problem });
        socket.destroy();
      }
    });
    // A plain HTTP request, a failed handshake, a refused certificate: Node closes the connection; say so at debug level.
    secure.on('tlsClientError', (error: Error & { code?: string }, socket: Socket) => {
      this.logger.debug('TLS handshake failed', { remote: socket.remoteAddress, error: error.code ?? error.message });
    });
  }

  /** Starts looking for changes of the files (every pollMs; the timer does not keep the process alive). */
  async watch(): Promise<void> {
    this.seen = await filesState(this.watched);
    this.timer = setInterval(() => void this.look(), this.options.pollMs ?? WEB_CONFIG_POLL_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the file again and applies it if it passes; false (and an error logged) when the previous one stays. */
  reload(): boolean {
    let next: WebConfig;
    try {
      next = readWebConfig(this.path);
    } catch (error) {
      const named = error instanceof WebConfigError ? error.files : [];
      this.watched = [...new Set([...this.config.files, ...named])];
      this.logger.error('web config file not applied; the previous configuration stays', { file: this.path, error: errorMessage(error) });
      return false;
    }
    this.watched = [...new Set([...this.config.files, ...next.files])];
    if (Boolean(next.tls) !== Boolean(this.config.tls)) {
      this.logger.error('web config file not applied; the previous configuration stays', {
        file: this.path,
        error: `switching TLS ${next.tls ? 'on' : 'off'} needs a restart of the exporter`,
      });
      return false;
    }
    if (next.tls && this.server) {
      const options = tlsServerOptions(next.tls);
      try {
        this.server.setSecureContext(options);
      } catch (error) {
        this.logger.error('web config file not applied; the previous configuration stays', { file: this.path, error: errorMessage(error) });
        return false;
      }
      // Read by Node for each new connection; setSecureContext leaves them as the server was created with.
      const flags = this.server as HttpsServer & { requestCert: boolean; rejectUnauthorized: boolean };
      flags.requestCert = options.requestCert === true;
      flags.rejectUnauthorized = options.rejectUnauthorized === true;
    }
    this.config = next;
    this.watched = next.files;
    this.auth = this.authFor(next);
    this.describe('web config file reloaded', next);
    return true;
  }

  private async look(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      const state = await filesState(this.watched);
      if (state === this.seen) {
        this.pending = undefined;
      } else if (state !== this.pending) {
        // Seen for the first time: an editor may still be writing; apply once it holds still for one look.
        this.pending = state;
      } else {
        this.pending = undefined;
        const before = this.watched;
        this.reload();
        // A refused file is not read again until something changes; the files looked at may have changed.
        this.seen = this.watched.join('\n') === before.join('\n') ? state : await filesState(this.watched);
      }
    } catch (error) {
      this.logger.error('web config file check failed', { file: this.path, error: errorMessage(error) });
    } finally {
      this.looking = false;
    }
  }

  private authFor(config: WebConfig): BasicAuth | undefined {
    return config.users.size > 0 ? new BasicAuth(config.users, this.options.auth) : undefined;
  }

  private describe(msg: string, config: WebConfig): void {
    this.logger.info(msg, {
      file: this.path,
      tls: config.tls ? config.tls.clientAuth : 'off',
      basic_auth_users: config.users.size,
      headers: Object.keys(config.headers).join(',') || undefined,
    });
    for (const key of config.ignored) this.logger.warn('web config file: key ignored (Go-only TLS tuning; Node chooses its own)', { key });
    if (config.users.size > 0 && !config.tls) {
      this.logger.warn('web config file: basic auth without TLS sends passwords readable on the network; add tls_server_config', {
        file: this.path,
      });
    }
  }
}
