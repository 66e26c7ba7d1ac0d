/**
 * The memory budget as shipped, read inside the running exporter (v8.getHeapStatistics through a preloaded probe, its
 * environment in /proc):
 * the bundle executed the way the npm bin and `npm start` run it, an operator's own NODE_OPTIONS, the single
 * executable and a Node that can re-execute in place (both once `npm run package` has fetched Node 24), always
 * one process; and the worst case it must survive: 20 concurrent scrapes of a response of several megabytes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUDGET_ENVIRONMENT, BUDGET_OPTIONS } from '../../src/memory-budget.js';
import { seedDataset } from '../fixtures/dataset.js';
import { connectClient, startChannel } from '../fixtures/redis-writer.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { bundlePath, postgresEnv } from '../support/exporter.js';
import { parseExposition } from '../support/exposition.js';
import { freePort, waitFor } from '../support/ports.js';
import { allocateRedisDb, openRedisWriter, redisEnv } from '../support/redis.js';
import { ALL_GATES } from '../support/settings.js';

const MIB = 1024 * 1024;
const budget = (name: string) => BUDGET_OPTIONS.find((option) => option.name === name)?.value ?? NaN;
const SEMI = budget('--max-semi-space-size');
const OLD = budget('--max-old-space-size');

const dir = mkdtempSync(join(process.env['TEST_TMP'] ?? tmpdir(), 'memory-budget-'));
const probe = join(dir, 'probe.cjs');
writeFileSync(
  probe,
  `process.on('SIGUSR2', () => require('node:fs').writeFileSync(process.env.BUDGET_PROBE_OUT, JSON.stringify({
    limit: require('node:v8').getHeapStatistics().heap_size_limit, pid: process.pid,
    fetchLoaded: process.moduleLoadList.includes('NativeModule internal/deps/undici/undici') })));\n`,
);

/** Node 24 as `npm run package` fetched it, and the single executable it built for this machine, when present. */
const nodeCache = resolve('.cache/node');
const node24 = (existsSync(nodeCache) ? readdirSync(nodeCache, { withFileTypes: true }) : [])
  .filter((entry) => entry.name.startsWith(`node-linux-${process.arch}-`))
  .map((entry) => resolve('.cache/node', entry.name, 'package/bin/node'))
  .find((path) => existsSync(path));
const sea = [resolve(`.cache/sea/dispatcharr-exporter-${process.arch}`)].find((path) => existsSync(path));

/** What the preloaded probe reads inside the exporter. */
interface ProbeReport {
  /** heap_size_limit, MiB. */
  readonly limitMiB: number;
  /** The PID that answered. */
  readonly pid: number;
  /** Whether Node's fetch implementation (undici) was loaded. */
  readonly fetchLoaded: boolean;
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  report(): Promise<ProbeReport>;
  stop(): Promise<void>;
}

let runs = 0;
async function start(command: readonly string[], env: Record<string, string> = {}, args: string[] = []): Promise<Started> {
  const port = await freePort();
  const out = join(dir, `heap-${++runs}.json`);
  const nodeOptions = [`--require ${probe}`, env['NODE_OPTIONS'] ?? ''].join(' ').trim();
  const [file = '', ...rest] = command;
  const child = spawn(file, [...rest, '--host', '127.0.0.1', '--port', String(port), ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...redisEnv(15), ...env, NODE_OPTIONS: nodeOptions, BUDGET_PROBE_OUT: out },
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the exporter to listen', async () => {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output}`);
    if ((await fetch(`${url}/health`)).status !== 200) throw new Error('not ready');
  });
  return {
    child,
    url,
    async report() {
      rmSync(out, { force: true });
      child.kill('SIGUSR2');
      const { limit, ...rest } = await waitFor(
        'the probe',
        async () => JSON.parse(readFileSync(out, 'utf8')) as Omit<ProbeReport, 'limitMiB'> & { limit: number },
      );
      return { ...rest, limitMiB: limit / MIB };
    },
    stop: () =>
      child.exitCode !== null
        ? Promise.resolve()
        : new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
  };
}

/** Whether any process has `pid` as its parent: a launcher that spawned instead of exec'ing would. */
function hasChildren(pid: number): boolean {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .some((name) => {
      try {
        return readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    });
}

/** The environment a process runs with. */
function environmentOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The old generation as asked, plus at most V8's young generation (a few semi-spaces). */
function assertLimit(limitMiB: number, oldMiB: number, semiMiB: number): void {
  assert.ok(limitMiB >= oldMiB && limitMiB <= oldMiB + 4 * semiMiB, `heap_size_limit ${limitMiB} MiB for old ${oldMiB}, semi ${semiMiB}`);
}

async function assertBudget(command: readonly string[], what: string): Promise<void> {
  const exporter = await start(command, { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(await freePort()) });
  try {
    const { limitMiB, pid } = await exporter.report();
    assertLimit(limitMiB, OLD, SEMI);
    assert.equal(pid, exporter.child.pid, `${what}: the process started is the one that runs the exporter`);
    assert.notEqual(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'sh');
    assert.equal(hasChildren(pid), false, `${what} leaves a single process`);
    const env = environmentOf(pid);
    assert.match(env['NODE_OPTIONS'] ?? '', new RegExp(`--v8-pool-size=${budget('--v8-pool-size')}`));
    for (const [name, value] of Object.entries(BUDGET_ENVIRONMENT)) assert.equal(env[name], value, name);
  } finally {
    await exporter.stop();
  }
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('memory budget', () => {
  test('the bundle executed as the npm bin runs it (its shell line) gets the budget, in one process', async () => {
    await assertBudget([bundlePath()], 'the bundle');
    await assertBudget(['sh', bundlePath()], 'npm start');
    const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    assert.equal(packageJson.scripts['start'], 'sh dist/dispatcharr-exporter.cjs');
  });

  test("an operator's own settings win, the budget's others stay", async () => {
    const closed = String(await freePort());
    const exporter = await start([bundlePath()], {
      POSTGRES_PORT: closed,
      NODE_OPTIONS: '--max-old-space-size=160',
      MALLOC_ARENA_MAX: '4',
    });
    try {
      assertLimit((await exporter.report()).limitMiB, 160, SEMI);
      assert.equal(environmentOf(exporter.child.pid ?? 0)['MALLOC_ARENA_MAX'], '4');
    } finally {
      await exporter.stop();
    }
  });

  test('the single executable re-executes itself in place with the budget', {
    skip: sea === undefined && 'run npm run package first',
  }, async () => {
    await assertBudget([sea ?? ''], 'the single executable');
    const exporter = await start([sea ?? ''], { NODE_OPTIONS: '--max-old-space-size=150' });
    try {
      assertLimit((await exporter.report()).limitMiB, 150, SEMI);
    } finally {
      await exporter.stop();
    }
  });

  test('node dist/dispatcharr-exporter.cjs on a Node with process.execve', {
    skip: node24 === undefined && 'no Node 24 in .cache/node',
  }, async () => {
    await assertBudget([node24 ?? '', bundlePath()], 'node 24');
  });
});

describe('a response of several megabytes under the budget', () => {
  let db: TestDatabase;
  let redisDb: number;

  before(async () => {
    db = await createTestDatabase('v0.29', 'budget');
    const data = await seedDataset(db);
    redisDb = allocateRedisDb();
    const redis = await openRedisWriter(redisDb);
    const now = Date.now() / 1000;
    const userAgent = `Mozilla/5.0 "Evil" \\ ünïcode 📺 ${'x'.repeat(1500)}`;
    for (const [i, channel] of Object.values(data.channels).entries()) {
      const base = { prefix: 'live:' as const, uuid: channel.uuid, m3uProfileId: data.profiles.aDefault };
      await startChannel(redis, {
        ...base,
        channelId: channel.id,
        streamId: data.streams.a1,
        profileCapped: false,
        streamProfileId: data.streamProfiles.proxy,
        initTime: now - 600,
      });
      for (let c = 0; c < 750; c++) {
        await connectClient(redis, {
          ...base,
          clientId: `c${i}_${c}`,
          ip: `10.${i}.${c >> 8}.${c & 255}`,
          userAgent: `${userAgent}${c}`,
          connectedAt: now - 60,
        });
      }
    }
    // The writers give the keys Dispatcharr's TTLs (30 to 60 s); this state must outlive a slow machine's test.
    let cursor = '0';
    do {
      const [next, keys] = (await redis.run(['SCAN', cursor, 'COUNT', '1000']))[0] as [string, string[]];
      cursor = next;
      if (keys.length > 0) await redis.run(...keys.map((key) => ['PERSIST', key]));
    } while (cursor !== '0');
    redis.close();
  });
  after(() => db.drop());

  test('20 concurrent scrapes, gzip and plain, answer in full and the exporter stays up', async () => {
    const exporter = await start([bundlePath()], { ...postgresEnv(db.url), ...redisEnv(redisDb) }, ALL_GATES);
    try {
      assertLimit((await exporter.report()).limitMiB, OLD, SEMI);
      for (let round = 0; round < 3; round++) {
        const bodies = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const gzip = i % 2 === 0;
            const response = await fetch(`${exporter.url}/metrics`, { headers: { 'Accept-Encoding': gzip ? 'gzip' : 'identity' } });
            assert.equal(response.status, 200);
            // fetch decompresses a gzip body itself.
            assert.equal(response.headers.get('content-encoding'), gzip ? 'gzip' : null);
            return response.text();
          }),
        );
        for (const body of bodies) {
          assert.ok(body.length > 4 * MIB, `a body of ${body.length} characters`);
          assert.equal(parseExposition(body).get('dispatcharr_client_info')?.samples.length, 3000, 'every viewer');
        }
      }
      assert.equal(exporter.child.exitCode, null, 'no out-of-memory crash');
      // pg's test for Cloudflare Workers, on a Node without `navigator` (20), loads it: megabytes nothing uses.
      assert.equal((await exporter.report()).fetchLoaded, false, "Node's fetch implementation stays unloaded");
    } finally {
      await exporter.stop();
    }
  });
});
