/**
 * Test databases: a fresh database per test file, loaded with a Dispatcharr schema fixture and a
 * migration ledger matching that release, plus an insert helper that fills NOT NULL columns the way
 * Django would (Dispatcharr sets no SQL defaults).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { PostgresConfig } from '../../src/config/settings.js';

export type SchemaVersion = 'v0.15' | 'v0.29';

/** Last applied migration number per app at each release (data-contract.md, section 1.5). */
const LEDGER: Record<SchemaVersion, Record<string, number>> = {
  'v0.15': { accounts: 3, core: 18, dispatcharr_channels: 30, epg: 21, m3u: 18, plugins: 1, vod: 3 },
  'v0.29': { accounts: 6, core: 27, dispatcharr_channels: 38, dispatcharr_connect: 3, epg: 26, m3u: 19, plugins: 3, vod: 5 },
};

/** Real names for the migrations the exporter's detection looks at; the rest get placeholder names. */
const KNOWN_NAMES: Record<string, string> = {
  'dispatcharr_channels/37': '0037_auto_sync_overhaul',
  'dispatcharr_channels/38': '0038_add_catchup_fields',
  'epg/24': '0024_remove_epgsource_api_key_epgsource_password_and_more',
  'core/20': '0020_change_coresettings_value_to_jsonfield',
};

export function adminUrl(): string {
  const url = process.env['TEST_POSTGRES_URL'];
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: run the tests with `npm test`');
  return url;
}

export function databaseUrl(database: string, user?: string, password?: string, server = adminUrl()): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  if (user) url.username = user;
  if (password) url.password = password;
  return url.toString();
}

/** The exporter's connection settings for a database URL. */
export function postgresConfig(url: string): PostgresConfig {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port),
    database: parsed.pathname.slice(1),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

let counter = 0;

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly client: pg.Client;
  readonly version: SchemaVersion;
  insert(table: string, values: Record<string, unknown>): Promise<string>;
  drop(): Promise<void>;
}

/** `server` is a superuser URL of the server to use; by default the one the test command started. */
export async function createTestDatabase(version: SchemaVersion, label = 'db', server = adminUrl()): Promise<TestDatabase> {
  const name = `t_${label}_${process.pid}_${++counter}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = databaseUrl(name, undefined, undefined, server);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const ddl = readFileSync(fileURLToPath(new URL(`../fixtures/schema/${version}.sql`, import.meta.url)), 'utf8');
  await client.query(ddl);
  for (const [app, last] of Object.entries(LEDGER[version])) {
    for (let n = 1; n <= last; n++) {
      const migration = KNOWN_NAMES[`${app}/${n}`] ?? `${String(n).padStart(4, '0')}_fixture`;
      await client.query('INSERT INTO django_migrations (app, name, applied) VALUES ($1, $2, now())', [app, migration]);
    }
  }

  const required = new Map<string, { column: string; type: string }[]>();
  async function requiredColumns(table: string) {
    let columns = required.get(table);
    if (!columns) {
      const result = await client.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns
          WHERE table_name = $1 AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'`,
        [table],
      );
      columns = result.rows.map((r) => ({ column: r.column_name, type: r.data_type }));
      required.set(table, columns);
    }
    return columns;
  }

  function filler(type: string, column: string): unknown {
    if (type === 'boolean') return false;
    if (type === 'integer' || type === 'bigint' || type === 'double precision') return 0;
    if (type.startsWith('timestamp')) return new Date();
    if (type === 'jsonb') return '{}';
    if (type === 'uuid') return crypto.randomUUID();
    return column === 'user_agent' ? 'fixture-agent' : '';
  }

  return {
    name,
    url,
    client,
    version,
    async insert(table, values) {
      const row: Record<string, unknown> = { ...values };
      for (const { column, type } of await requiredColumns(table)) {
        if (!(column in row)) row[column] = filler(type, column);
      }
      const columns = Object.keys(row);
      const sql = `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')})
                   VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id::text AS id`;
      const result = await client.query<{ id: string }>(
        sql,
        columns.map((c) => row[c]),
      );
      return result.rows[0]?.id ?? '';
    },
    async drop() {
      await client.end();
      const admin2 = new pg.Client({ connectionString: server });
      await admin2.connect();
      await admin2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin2.end();
    },
  };
}
