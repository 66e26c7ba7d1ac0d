/**
 * Dispatcharr's version: from configuration (DISPATCHARR_VERSION, which Dispatcharr's entrypoint
 * exports), else from its unauthenticated `GET {base_url}/api/core/version/`, else `unknown`.
 * The answer is cached so a scrape rarely waits for it.
 */
import type { Logger } from '../log.js';
import { errorMessage } from '../error-message.js';

const SUCCESS_TTL_MS = 10 * 60_000;
const FAILURE_TTL_MS = 60_000;
const REQUEST_TIMEOUT_MS = 2000;

export function formatVersion(version: string, timestamp?: string | null): string {
  return timestamp ? `${version}-${timestamp}` : version;
}

export type FetchVersion = (url: string, timeoutMs: number) => Promise<{ version: string; timestamp?: string | null }>;

/**
 * Splits `user:password@` off a URL: fetch refuses URLs with credentials, so they travel as a Basic
 * Authorization header instead (for a reverse proxy in front of Dispatcharr).
 */
export function requestFor(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (parsed.username || parsed.password) {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed.toString(), headers };
}

const fetchVersionJson: FetchVersion = async (url, timeoutMs) => {
  const request = requestFor(url);
  const response = await fetch(request.url, { signal: AbortSignal.timeout(timeoutMs), headers: request.headers });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = (await response.json()) as { version?: unknown; timestamp?: unknown };
  if (typeof body.version !== 'string' || body.version === '') throw new Error('no version in the answer');
  return { version: body.version, timestamp: typeof body.timestamp === 'string' ? body.timestamp : null };
};

export class DispatcharrVersion {
  private cached: { value: string; until: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly options: { configured?: string; timestamp?: string; baseUrl: string },
    private readonly logger: Logger,
    private readonly fetchVersion: FetchVersion = fetchVersionJson,
    private readonly now: () => number = Date.now,
  ) {}

  /** Never rejects: an unreachable Dispatcharr gives `unknown`. */
  async get(): Promise<string> {
    if (this.options.configured) return formatVersion(this.options.configured, this.options.timestamp);
    if (!this.options.baseUrl) return 'unknown';
    if (this.cached && this.cached.until > this.now()) return this.cached.value;
    this.pending ??= this.ask().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async ask(): Promise<string> {
    const url = `${this.options.baseUrl}/api/core/version/`;
    try {
      const answer = await this.fetchVersion(url, REQUEST_TIMEOUT_MS);
      const value = formatVersion(answer.version, answer.timestamp);
      this.cached = { value, until: this.now() + SUCCESS_TTL_MS };
      return value;
    } catch (error) {
      this.logger.debug('could not ask Dispatcharr its version', { error: errorMessage(error) });
      const value = this.cached?.value ?? 'unknown';
      this.cached = { value, until: this.now() + FAILURE_TTL_MS };
      return value;
    }
  }
}
