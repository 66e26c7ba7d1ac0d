/**
 * HTTP basic authentication against the bcrypt hashes of a web configuration file (`basic_auth_users`).
 *
 * A bcrypt comparison costs tens of milliseconds by design, so: it runs asynchronously (bcryptjs works in
 * slices and yields to the event loop) and one at a time, so a flood of wrong passwords cannot take every CPU
 * slice; and its verdict is cached for a few minutes under a SHA-256 digest of the user name and password (never
 * the password itself), so Prometheus scraping every few seconds costs one comparison per TTL, and repeating a
 * wrong password costs nothing either. An unknown user is compared against a dummy hash of the users' cost,
 * so it takes as long as a wrong password; user names are matched by digest in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { compare as bcryptCompare } from 'bcryptjs';
import { bcryptCost } from './web-config.js';

export type Compare = (password: string, hash: string) => Promise<boolean>;

export interface BasicAuthOptions {
  /** The bcrypt comparison (bcryptjs' asynchronous compare); tests count calls through it. */
  readonly compare?: Compare;
  /** How long a verdict is kept. */
  readonly ttlMs?: number;
  /** Verdicts kept at most; beyond, the oldest goes. */
  readonly maxEntries?: number;
  /** Comparisons waiting for their turn at most; beyond, a check fails at once (and is not cached). */
  readonly maxWaiting?: number;
  readonly now?: () => number;
}

export const AUTH_CACHE_TTL_MS = 5 * 60_000;
const AUTH_CACHE_ENTRIES = 1024;
const MAX_WAITING = 64;

export const AUTHENTICATE_HEADER = 'Basic realm="dispatcharr-exporter"';

interface Entry {
  readonly expires: number;
  verdict: boolean | Promise<boolean>;
}

/** The user name and password of an `Authorization: Basic ...` header, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(JSON.stringify(parts)).digest();
}

/** A well-formed hash that no password matches in practice; its cost alone sets how long a comparison takes. */
function dummyHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${'dispatcharrExporterSal'}${'tNoPasswordMatchesThisHash00000'}`;
}

export class BasicAuth {
  private readonly users: readonly { readonly name: Buffer; readonly hash: string }[];
  private readonly dummy: string;
  private readonly cache = new Map<string, Entry>();
  private readonly compare: Compare;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxWaiting: number;
  private readonly now: () => number;
  private running = false;
  private readonly waiting: (() => void)[] = [];

  constructor(users: ReadonlyMap<string, string>, options: BasicAuthOptions = {}) {
    this.users = [...users].map(([name, hash]) => ({ name: digest(name), hash }));
    this.dummy = dummyHash(Math.max(4, ...[...users.values()].map(bcryptCost)));
    this.compare = options.compare ?? ((password, hash) => bcryptCompare(password, hash));
    this.ttlMs = options.ttlMs ?? AUTH_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? AUTH_CACHE_ENTRIES;
    this.maxWaiting = options.maxWaiting ?? MAX_WAITING;
    this.now = options.now ?? Date.now;
  }

  /** Whether the header carries a configured user and its password: at once from the cache, else a promise. */
  check(header: string | undefined): boolean | Promise<boolean> {
    const credentials = basicCredentials(header);
    if (!credentials) return false;
    const key = digest(credentials.user, credentials.password).toString('hex');
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) return cached.verdict;
    if (cached) this.cache.delete(key);
    if (this.waiting.length >= this.maxWaiting) return false;

    // Every user is compared (no early exit), so the time taken does not tell which one matched or whether any did.
    const name = digest(credentials.user);
    let hash: string | undefined;
    for (const user of this.users) if (timingSafeEqual(user.name, name)) hash = user.hash;
    const known = hash !== undefined;
    const entry: Entry = { expires: now + this.ttlMs, verdict: false };
    entry.verdict = this.serially(() => this.compare(credentials.password, hash ?? this.dummy)).then(
      (matches) => {
        entry.verdict = known && matches;
        return entry.verdict;
      },
      () => {
        this.cache.delete(key);
        return false;
      },
    );
    this.remember(key, entry);
    return entry.verdict;
  }

  /** Verdicts cached now (for tests). */
  get cached(): number {
    return this.cache.size;
  }

  private remember(key: string, entry: Entry): void {
    while (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    this.cache.set(key, entry);
  }

  /** Runs one comparison at a time, in arrival order. */
  private async serially<T>(task: () => Promise<T>): Promise<T> {
    if (this.running) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running = true;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running = false;
    }
  }
}
