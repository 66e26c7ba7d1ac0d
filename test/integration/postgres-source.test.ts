import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/log.js';
import { readChannelCounts, readEpgSources, readM3uAccounts, readProfiles, readSchemaLevel } from '../../src/sources/dispatcharr-db.js';
import { PostgresSource } from '../../src/sources/postgres.js';
import { DAY, seedDataset, type SeededDataset } from '../fixtures/dataset.js';
import { createTestDatabase, postgresConfig, type SchemaVersion, type TestDatabase } from '../support/database.js';

for (const version of ['v0.15', 'v0.29'] as SchemaVersion[]) {
  describe(`PostgreSQL readers against the Dispatcharr ${version} schema`, () => {
    let db: TestDatabase;
    let data: SeededDataset;
    let source: PostgresSource;

    before(async () => {
      db = await createTestDatabase(version, 'source');
      data = await seedDataset(db);
      source = new PostgresSource(postgresConfig(db.url), silentLogger);
    });
    after(async () => {
      await source.close();
      await db.drop();
    });

    test('the schema level is detected from the migration ledger', async () => {
      const level = await readSchemaLevel(source);
      assert.equal(level.channelOverrides, version === 'v0.29');
      assert.equal(level.profileExpDateColumn, version === 'v0.29');
      assert.equal(level.groupedCoreSettings, version === 'v0.29');
      assert.equal(level.hiddenFromOutputColumn, version === 'v0.29');
      assert.equal(level.migrations['dispatcharr_channels'], version === 'v0.29' ? 38 : 30);
    });

    test('accounts come with their stream counts from one grouped statement', async () => {
      const accounts = await readM3uAccounts(source);
      assert.deepEqual(
        accounts.map((a) => [a.name, a.locked, a.streamCount]),
        [
          ['custom', true, 1],
          ['Provider A', false, 3],
          ['Provider B', false, 2],
          ['CUSTOM', false, 0],
          ['Old Provider', false, 1],
        ],
      );
      assert.equal(accounts[1]?.username, 'alice');
      assert.ok(!JSON.stringify(accounts).includes('hunter2'), 'account passwords are never read');
    });

    test('dummy EPG sources are not read', async () => {
      const sources = await readEpgSources(source);
      assert.deepEqual(
        sources.map((s) => s.name),
        ['XMLTV Main', 'SD', 'Backup Guide'],
      );
    });

    test("channel counts follow Dispatcharr's outputs: not hidden (default output), enabled and not hidden (each profile)", async () => {
      // The spare channel is hidden from output on v0.29 (the column exists from v0.25); before, every channel is served.
      assert.deepEqual(await readChannelCounts(source, await readSchemaLevel(source)), {
        total: 4,
        enabled: version === 'v0.29' ? 3 : 4,
        groups: 3,
        profiles: [
          { id: data.channelProfiles.livingRoom, name: 'Living room', enabled: 2 },
          { id: data.channelProfiles.kids, name: 'Kids', enabled: 1 },
        ],
      });
    });

    test('without any channel profile, every channel not hidden counts as enabled and no profile is listed', async () => {
      const empty = await createTestDatabase(version, 'noprofiles');
      const emptySource = new PostgresSource(postgresConfig(empty.url), silentLogger);
      try {
        await empty.insert('dispatcharr_channels_channel', {
          name: 'Only',
          channel_number: 1,
          uuid: crypto.randomUUID(),
          user_level: 0,
          auto_created: false,
          created_at: new Date(),
          updated_at: new Date(),
        });
        const counts = await readChannelCounts(emptySource, await readSchemaLevel(emptySource));
        assert.deepEqual(counts, { total: 1, enabled: 1, groups: 0, profiles: [] });
      } finally {
        await emptySource.close();
        await empty.drop();
      }
    });

    test('a profile counts its enabled members that are not hidden; hidden or disabled members count nowhere', async () => {
      const fresh = await createTestDatabase(version, 'hiddenmembers');
      const freshSource = new PostgresSource(postgresConfig(fresh.url), silentLogger);
      try {
        const hiddenColumn = version === 'v0.29';
        const channel = (name: string, hidden: boolean) =>
          fresh.insert('dispatcharr_channels_channel', {
            name,
            uuid: crypto.randomUUID(),
            ...(hiddenColumn ? { hidden_from_output: hidden } : {}),
          });
        const shown = await channel('Shown', false);
        const hiddenOn = await channel('Hidden, enabled', true);
        const hiddenOff = await channel('Hidden, disabled', true);
        const both = await fresh.insert('dispatcharr_channels_channelprofile', { name: 'Both' });
        const onlyHidden = await fresh.insert('dispatcharr_channels_channelprofile', { name: 'Only hidden' });
        const member = (channelId: string, profileId: string, enabled: boolean) =>
          fresh.insert('dispatcharr_channels_channelprofilemembership', { channel_id: channelId, channel_profile_id: profileId, enabled });
        await member(shown, both, true);
        await member(hiddenOn, both, true);
        await member(hiddenOff, both, false);
        await member(hiddenOn, onlyHidden, true);
        await member(hiddenOff, onlyHidden, false);
        // Before v0.25 nothing is hidden: every enabled membership is served.
        assert.deepEqual(await readChannelCounts(freshSource, await readSchemaLevel(freshSource)), {
          total: 3,
          enabled: hiddenColumn ? 1 : 3,
          groups: 0,
          profiles: [
            { id: both, name: 'Both', enabled: hiddenColumn ? 1 : 2 },
            { id: onlyHidden, name: 'Only hidden', enabled: hiddenColumn ? 0 : 1 },
          ],
        });
      } finally {
        await freshSource.close();
        await fresh.drop();
      }
    });

    test('expiry comes from the exp_date column where it exists, else from the XC user_info', async () => {
      const profiles = await readProfiles(source, await readSchemaLevel(source));
      const byId = new Map(profiles.map((p) => [p.id, p]));
      const expectedDefault = version === 'v0.29' ? data.now + 30 * DAY + DAY / 4 : data.now + 10 * DAY + DAY / 2;
      assert.equal(byId.get(data.profiles.aDefault)?.expiresAt, expectedDefault);
      assert.equal(byId.get(data.profiles.aBackup)?.expiresAt, data.now - 2 * DAY - DAY / 2);
      assert.equal(byId.get(data.profiles.oldDefault)?.expiresAt, null);
      assert.equal(byId.get(data.profiles.oldWeird)?.expiresAt, null);
      assert.equal(profiles.length, 7);
    });

    test('sessions are read-only, time-limited, named, and use no parallel workers or JIT', async () => {
      const [settings] = await source.query<{ ro: string; st: string; lt: string; app: string; workers: string; jit: string }>(
        `SELECT current_setting('default_transaction_read_only') AS ro, current_setting('statement_timeout') AS st,
                current_setting('lock_timeout') AS lt, current_setting('application_name') AS app,
                current_setting('max_parallel_workers_per_gather') AS workers, current_setting('jit') AS jit`,
      );
      assert.deepEqual(settings, { ro: 'on', st: '5s', lt: '1s', app: 'dispatcharr-exporter', workers: '0', jit: 'off' });
      await assert.rejects(
        source.query(`UPDATE m3u_m3uaccount SET name = 'changed' WHERE id = $1`, [data.accounts.providerA]),
        /read-only transaction/,
      );
      const unchanged = await db.client.query(`SELECT name FROM m3u_m3uaccount WHERE id = $1`, [data.accounts.providerA]);
      assert.equal(unchanged.rows[0]?.name, 'Provider A');
    });

    test('the pool never opens more than two connections', async () => {
      await Promise.all(Array.from({ length: 12 }, () => source.query('SELECT pg_sleep(0.05)')));
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      const result = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'dispatcharr-exporter' AND datname = $1`,
        [db.name],
      );
      await admin.end();
      assert.ok((result.rows[0]?.n ?? 99) <= 2, `saw ${result.rows[0]?.n} connections`);
    });
  });
}
