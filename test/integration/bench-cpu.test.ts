/** The benchmark's CPU meters read the test servers' real CPU time, and it grows with the work they are given. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { type CpuMeter, postgresCpu, redisCpu, redisCpuSeconds } from '../../scripts/bench/backend-cpu.js';
import { RespConnection } from '../../src/sources/resp.js';
import { adminUrl } from '../support/database.js';
import { redisUrl } from '../support/redis.js';

async function grows(meter: CpuMeter, work: () => Promise<void>, atLeastSeconds: number): Promise<void> {
  const before = await meter.total();
  assert.equal(typeof before, 'number', 'the meter reads the local server');
  await work();
  const after = await meter.total();
  assert.ok(after !== null && before !== null && after - before >= atLeastSeconds, `CPU seconds grew: ${before} -> ${after}`);
}

test("PostgreSQL's CPU counts the connections that have ended", async () => {
  const meter = await postgresCpu(adminUrl());
  try {
    await grows(
      meter,
      async () => {
        // A connection of its own that ends before the second reading: its CPU is the postmaster's reaped children's.
        const client = new pg.Client({ connectionString: adminUrl() });
        await client.connect();
        await client.query('SELECT count(*) FROM generate_series(1, 3000000)');
        await client.end();
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
      0.1,
    );
  } finally {
    await meter.close();
  }
});

test("Redis' CPU comes from INFO cpu", async () => {
  const meter = await redisCpu(redisUrl().toString());
  const url = redisUrl();
  const connection = await RespConnection.open({ host: url.hostname, port: Number(url.port) });
  try {
    await grows(
      meter,
      async () => {
        for (let i = 0; i < 20; i++) await connection.pipeline(Array.from({ length: 5000 }, () => ['DBSIZE']));
      },
      0.01,
    );
  } finally {
    connection.close();
    await meter.close();
  }
});

test('INFO cpu without its figures reads as unknown', () => {
  assert.equal(redisCpuSeconds('# CPU\r\nused_cpu_sys:1.25\r\nused_cpu_user:2.5\r\n'), 3.75);
  assert.equal(redisCpuSeconds('# CPU\r\n'), null);
});
