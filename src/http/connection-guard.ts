/**
 * Keeps the exporter reachable under a flood of connections: at most `maxConnections` sockets are kept open,
 * and when a new one arrives at the cap, the connection idle the longest (no request in progress) is closed
 * to make room, so idle and slow clients cannot lock Prometheus out. Requests in flight on /metrics are capped
 * separately (503 beyond the cap).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** A connection that has sent no request after this long is closed (slow ones are cut by the headers timeout). */
export const FIRST_REQUEST_TIMEOUT_MS = 10_000;

export interface GuardLimits {
  /** Open connections kept at most; 0 = no cap. */
  readonly maxConnections: number;
  /** Scrapes answered at once; 0 = no cap. */
  readonly maxRequests: number;
}

/**
 * The TCP socket under a request's socket: itself for HTTP; for HTTPS the socket the TLS socket wraps (Node's
 * `_parent`), which is the one the server's 'connection' event gave. Destroying it ends the TLS connection too.
 */
function tcpSocket(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket })._parent ?? socket;
}

export class ConnectionGuard {
  /** Open sockets in the order they last became idle (oldest first); busy sockets are not in it. */
  private readonly idle = new Set<Socket>();
  private readonly open = new Set<Socket>();
  private requestsInFlight = 0;
  /** Connections closed to make room, since start. */
  evicted = 0;

  constructor(private readonly limits: GuardLimits) {}

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    // HTTPS: node:http watches the TLS socket, whose timer is its own (the handshake has a timeout of its own).
    server.on('secureConnection', (socket: Socket) => socket.setTimeout(FIRST_REQUEST_TIMEOUT_MS));
    server.on('request', (req) => {
      const socket = tcpSocket(req.socket);
      this.idle.delete(socket);
      // A scrape may wait for its collection; the idle timer only guards connections that never ask anything.
      socket.setTimeout(0);
      req.socket.setTimeout(0);
      req.once('close', () => {
        if (this.open.has(socket) && !socket.destroyed) this.idle.add(socket);
      });
    });
  }

  /** Claims a scrape slot; false when `maxRequests` scrapes are already in flight. */
  tryStartRequest(): boolean {
    if (this.limits.maxRequests > 0 && this.requestsInFlight >= this.limits.maxRequests) return false;
    this.requestsInFlight++;
    return true;
  }

  endRequest(): void {
    this.requestsInFlight = Math.max(0, this.requestsInFlight - 1);
  }

  private onConnection(socket: Socket): void {
    this.open.add(socket);
    this.idle.add(socket);
    socket.setTimeout(FIRST_REQUEST_TIMEOUT_MS);
    socket.once('close', () => {
      this.open.delete(socket);
      this.idle.delete(socket);
    });
    if (this.limits.maxConnections > 0 && this.open.size > this.limits.maxConnections) {
      const oldest = this.idle.values().next().value;
      if (oldest && oldest !== socket) {
        this.evicted++;
        oldest.destroy();
      } else {
        socket.destroy();
      }
    }
  }
}
