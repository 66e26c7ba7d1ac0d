/**
 * What the exporter costs its backends: SQL statements it ran (pg_stat_statements, counted for the role only the
 * exporter logs in as) and Redis commands the server executed (INFO commandstats; the server counts every client,
 * so the counter leaves out the INFO calls it makes itself, the only commands the benchmark sends while it measures).
 */
import pg from 'pg';
import { RespConnection } from '../../src/sources/resp.js';

/** The role the exporter logs in as, so its statements can be told from the benchmark's own. */
export const EXPORTER_ROLE = 'bench_exporter';

export interface Counter {
  /** The running total, or null when the server cannot tell (pg_stat_statements not loaded, say). */
  total(): Promise<number | null>;
  close(): Promise<void>;
}

/** Creates the exporter's role (a superuser: it only reads, and needs no grants on a throwaway database). */
export async function statementCounter(adminUrl: string): Promise<Counter & { readonly note?: string }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DO $$ BEGIN CREATE ROLE ${EXPORTER_ROLE} LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  let note: string | undefined;
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await admin.query('SELECT count(*) FROM pg_stat_statements');
  } catch (error) {
    note = `pg_stat_statements unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  return {
    ...(note !== undefined && { note }),
    async total() {
      if (note !== undefined) return null;
      const result = await admin.query<{ calls: string }>(
        `SELECT coalesce(sum(s.calls), 0)::text AS calls
           FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
          WHERE r.rolname = $1`,
        [EXPORTER_ROLE],
      );
      return Number(result.rows[0]?.calls ?? 0);
    },
    close: () => admin.end(),
  };
}

/** Sums `calls=` of every INFO commandstats line except INFO's own. */
export function commandCalls(info: string): number {
  let calls = 0;
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match && match[1] !== 'info') calls += Number(match[2]);
  }
  return calls;
}

/** A figure read from one section of Redis' INFO over a connection of its own; null when the reply is not text. */
export async function redisInfoCounter(redisUrl: string, section: string, read: (info: string) => number | null): Promise<Counter> {
  const url = new URL(redisUrl);
  const connection = await RespConnection.open({ host: url.hostname, port: Number(url.port) });
  return {
    async total() {
      const [reply] = await connection.pipeline([['INFO', section]]);
      return typeof reply === 'string' ? read(reply) : null;
    },
    async close() {
      connection.close();
    },
  };
}

export function redisCommandCounter(redisUrl: string): Promise<Counter> {
  return redisInfoCounter(redisUrl, 'commandstats', commandCalls);
}

/**
 * What some counters advance while given pieces of work run, and nothing in between: interleaved measurements (the
 * exporter's scrapes and the floor's reads) each count only their own blocks. A counter that cannot tell stays null.
 */
export class CounterTally {
  private readonly sums: (number | null)[];

  constructor(private readonly counters: readonly Counter[]) {
    this.sums = counters.map(() => 0);
  }

  async during<T>(work: () => Promise<T>): Promise<T> {
    const before = await this.totals();
    const result = await work();
    const after = await this.totals();
    for (let i = 0; i < this.sums.length; i++) {
      const [sum, from, to] = [this.sums[i] ?? null, before[i] ?? null, after[i] ?? null];
      this.sums[i] = sum === null || from === null || to === null ? null : sum + (to - from);
    }
    return result;
  }

  /** The sum for the counter at this position of the list given. */
  sum(index: number): number | null {
    return this.sums[index] ?? null;
  }

  private async totals(): Promise<(number | null)[]> {
    const totals: (number | null)[] = [];
    for (const counter of this.counters) totals.push(await counter.total());
    return totals;
  }
}
