/** HTTP front: /metrics, /health and a landing page on node:http, or node:https with a web configuration file. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { CONTENT_TYPE } from '../exposition/render.js';
import type { Logger } from '../log.js';
import type { Scraper } from '../scrape/scraper.js';
import { scrapeDeadline } from '../scrape/deadline.js';
import { type ConnectionGuard, FIRST_REQUEST_TIMEOUT_MS } from './connection-guard.js';
import { type Body, bodyFromText } from '../exposition/chunks.js';
import { acceptsGzip } from './encoding.js';
import { sendBody } from './respond.js';
import { landingPage } from './landing.js';
import { landingView } from './landing-view.js';
import { errorMessage } from '../error-message.js';
import { AUTHENTICATE_HEADER } from './basic-auth.js';
import { tlsServerOptions } from './web-access.js';
import type { WebTlsConfig } from './web-config.js';

/** What the web configuration file asks of every request (WebAccess, re-read when the file changes). */
export interface AccessPolicy {
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the request's Authorization header lets it in: a verdict at once, or after a bcrypt comparison. */
  authorize(header: string | undefined): boolean | Promise<boolean>;
}

export interface HttpOptions {
  readonly scraper: Scraper;
  readonly exporterVersion: string;
  readonly defaultTimeoutSeconds: number;
  readonly accessLog: boolean;
  readonly logger: Logger;
  readonly guard: ConnectionGuard;
  /** Basic auth and extra headers of the web configuration file. */
  readonly access?: AccessPolicy;
}

/** How long a client may take to send its request headers, and its whole request, before it is cut off. */
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** Prometheus reuses its connection between scrapes; an idle one beyond this is closed. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often Node checks the two timeouts above. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

const START_TIME = Date.now();

/** Answers with `body` as `type`; a text is copied into pooled chunks slice by slice, never as one more full copy. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Body,
  extra: Record<string, string> = {},
): Promise<void> {
  return sendBody(req, res, status, { 'Content-Type': type, ...extra }, typeof body === 'string' ? bodyFromText(body) : body);
}

export function createHandler(options: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { scraper, logger } = options;
  return (req, res) => {
    const started = performance.now();
    if (options.accessLog) {
      res.on('finish', () =>
        logger.info('request', {
          method: req.method,
          path: req.url,
          status: res.statusCode,
          seconds: ((performance.now() - started) / 1000).toFixed(3),
        }),
      );
    }
    const access = options.access;
    if (!access) return route(req, res);
    for (const [name, value] of Object.entries(access.headers)) res.setHeader(name, value);
    const verdict = access.authorize(req.headers.authorization);
    if (verdict === true) return route(req, res);
    if (verdict === false) return unauthorized(req, res);
    verdict.then(
      (allowed) => (allowed ? route(req, res) : unauthorized(req, res)),
      (error: unknown) => {
        logger.error('authentication failed', { error: errorMessage(error) });
        unauthorized(req, res);
      },
    );
  };

  function route(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    const known = path === '/' || path === '/metrics' || path === '/health';
    if (!known) return send(req, res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(req, res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    }
    if (hasBody(req)) {
      // Nothing here takes a body: refuse it without reading it, and close the connection so it is not read either.
      res.shouldKeepAlive = false;
      return send(req, res, 413, 'text/plain; charset=utf-8', 'Request bodies are not accepted\n', { Connection: 'close' });
    }
    if (path === '/health') {
      const health = scraper.health();
      const body = {
        status: 'ok',
        exporter: { version: options.exporterVersion, uptime_seconds: Math.round((Date.now() - START_TIME) / 1000) },
        dispatcharr: { version: health.dispatcharr_version },
        backends: { postgres: health.postgres, redis: health.redis },
      };
      return send(req, res, 200, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
    }
    if (!options.guard.tryStartRequest()) {
      return send(req, res, 503, 'text/plain; charset=utf-8', 'Too many scrapes in flight; try again\n', { 'Retry-After': '1' });
    }
    const deadline = scrapeDeadline(req.headers['x-prometheus-scrape-timeout-seconds'], options.defaultTimeoutSeconds, Date.now());
    // The landing page shows the same collection a scrape reads, so it costs no backend work of its own.
    const answer =
      path === '/'
        ? scraper
            .snapshot(deadline)
            .then(({ snapshot }) =>
              send(req, res, 200, 'text/html; charset=utf-8', landingPage(options.exporterVersion, landingView(snapshot))),
            )
        : scraper.body(deadline, { gzip: acceptsGzip(req) }).then((body) => send(req, res, 200, CONTENT_TYPE, body));
    answer
      .then(undefined, (error: unknown) => {
        logger.error('scrape failed', { error: errorMessage(error) });
        return send(req, res, 500, 'text/plain; charset=utf-8', '# scrape failed; see the exporter log\n');
      })
      .finally(() => options.guard.endRequest());
  }
}

/** 401 for every path without valid credentials; a request body is left unread and its connection closed. */
function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  const extra: Record<string, string> = { 'WWW-Authenticate': AUTHENTICATE_HEADER };
  if (hasBody(req)) {
    res.shouldKeepAlive = false;
    extra['Connection'] = 'close';
  }
  void send(req, res, 401, 'text/plain; charset=utf-8', 'Unauthorized\n', extra);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
}

/**
 * Starts listening, over TLS when `tls` is given (an https.Server is an http.Server with TLS in front; the
 * same limits apply); rejects with a readable reason (port in use, address not available).
 */
export function listen(
  handler: ReturnType<typeof createHandler>,
  guard: ConnectionGuard,
  host: string,
  port: number,
  tls?: WebTlsConfig,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const limits = {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    };
    const server: Server = tls
      ? createHttpsServer({ ...limits, ...tlsServerOptions(tls), handshakeTimeout: FIRST_REQUEST_TIMEOUT_MS }, handler)
      : createServer(limits, handler);
    // Answer a client that half-closes after sending its request (Node's own switch for this, off by default).
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    guard.attach(server);
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} is already in use on ${host}`
          : error.code === 'EADDRNOTAVAIL'
            ? `address ${host} is not available on this machine`
            : error.code === 'EACCES'
              ? `no permission to listen on ${host}:${port}`
              : error.message;
      reject(new Error(reason));
    });
    server.listen(port, host, () => resolve(server));
  });
}
