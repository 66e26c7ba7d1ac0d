/**
 * The soak (scripts/soak.ts, `npm run soak`) in short: 38 seconds of continuous scrapes of the built exporter, every
 * gate on, while its own PostgreSQL is restarted, its own Redis restarted and then frozen for 5 seconds (one event
 * every 10 seconds), with the same leak thresholds as the long run. The start figures are taken after 600 scrapes
 * at full speed and 2 more seconds, so that the exporter's heap growing to its working size is not taken for a leak.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS, EVENT_CYCLE, formatReport, runSoak, soakProblems } from '../../scripts/soak.js';

test('short soak: no failed scrape, no leak, through a PostgreSQL restart, a Redis restart and a Redis freeze', {
  timeout: 120_000,
}, async (t) => {
  const report = await runSoak({
    ...DEFAULT_OPTIONS,
    durationMs: 38_000,
    eventEveryMs: 10_000,
    freezeMs: 5_000,
    downMs: 1_500,
    warmUpMs: 2_000,
    warmUpScrapes: 600,
    sampleEveryMs: 2_000,
    maxScrapes: 10_000,
    ownServers: true,
    log: (line) => t.diagnostic(line),
  });
  for (const line of formatReport(report).split('\n')) t.diagnostic(line);
  assert.deepEqual(soakProblems(report), []);
  assert.deepEqual(
    report.events.map((e) => e.kind),
    EVENT_CYCLE,
    'each event happened once',
  );
  assert.ok(
    report.events.every((e) => !e.skipped),
    'no event skipped',
  );
  assert.ok(report.degraded.postgresDown > 0, 'some scrapes answered while PostgreSQL was down');
  assert.ok(report.degraded.redisDown > 0, 'some scrapes answered while Redis was down or frozen');
  assert.ok(report.scrapes > 100, `only ${report.scrapes} scrapes`);
});
