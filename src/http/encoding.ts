/** Response compression as the request's Accept-Encoding allows it (q-values and case honoured). */
import type { IncomingMessage } from 'node:http';
import Negotiator from 'negotiator';

export function acceptsGzip(req: IncomingMessage): boolean {
  return new Negotiator(req).encoding(['gzip', 'identity']) === 'gzip';
}
