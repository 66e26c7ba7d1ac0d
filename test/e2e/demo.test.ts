/**
 * Demo mode end to end: the built exporter with --demo (one in each layout) scraped every second by a real
 * Prometheus with the shipped alerting rules. Every PromQL expression of the README and of the Grafana dashboard
 * returns data, the failover and expiry alerts fire (with the others that should), and neither PostgreSQL nor
 * Redis is ever contacted.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningExporter, startExporter } from '../support/exporter.js';
import { freePort, waitFor } from '../support/ports.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { readmePromql } from '../support/readme.js';

/** README expressions that a healthy Dispatcharr answers with nothing: conditions that only hold when something is wrong. */
const EMPTY_WHEN_HEALTHY = new Map([
  ['time() - dispatcharr_stream_last_data_timestamp_seconds > 10', 'no stream has stalled'],
  ['increase(dispatcharr_events_missed_total[1h]) > 0', 'no event was lost to the rolling event log'],
]);

/**
 * How long an expression may take to have data: rates and increases need a second sample, and a rate of events
 * (`... > 0` over a minute) needs an event in its window; the demo has several a minute.
 */
const DATA_WITHIN_MS = 60_000;

/** What the demo's story should set off, and what a healthy demo must never set off. */
const SHOULD_FIRE = [
  'DispatcharrStreamOnBackup',
  'DispatcharrProviderExpiringSoon',
  'DispatcharrProviderConnectionsFull',
  'DispatcharrM3UAccountError',
  'DispatcharrEPGSourceError',
  'DispatcharrM3URefreshOverdue',
];
const NEVER = [
  'DispatcharrExporterDown',
  'DispatcharrDatabaseDown',
  'DispatcharrRedisDown',
  'DispatcharrStreamNotInList',
  'DispatcharrStreamStalled',
];

/** The shipped rules with every `for:` cut to 2 s: they hold for minutes to an hour, far longer than a test may wait. */
function rulesWithShortFor(dir: string): string {
  const rules = readFileSync(new URL('../../monitoring/alerts.yml', import.meta.url), 'utf8');
  const shortened = rules.replace(/^(\s+)for: \S+$/gm, '$1for: 2s');
  assert.notEqual(shortened, rules, 'the rules have for: durations to shorten');
  const path = join(dir, 'alerts.yml');
  writeFileSync(path, shortened);
  return path;
}

/** A port that stands in for PostgreSQL and Redis and counts who connects. */
async function tripwire(): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, connections: () => connections };
}

describe('demo mode in a real Prometheus with the shipped rules', () => {
  let wire: Awaited<ReturnType<typeof tripwire>>;
  let v2: RunningExporter;
  let v3: RunningExporter;
  let prometheus: RunningPrometheus;

  before(async () => {
    wire = await tripwire();
    const backends = {
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(wire.port),
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(wire.port),
    };
    // Legacy families too, and a second demo in the v3 layout, so the README's names of every layout have data.
    v2 = await startExporter(backends, ['--demo', '--include-legacy-metrics']);
    v3 = await startExporter(backends, ['--demo', '--metrics-layout', 'v3']);
    const dir = join(process.env['TEST_TMP'] ?? '/tmp', `prometheus-demo-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    prometheus = await startPrometheus(join(dir, 'prometheus'), [`127.0.0.1:${v2.port}`, `127.0.0.1:${v3.port}`], {}, [
      rulesWithShortFor(dir),
    ]);
    await waitFor(
      'Prometheus to scrape both demos twice',
      async () => {
        const ups = await prometheus.query('count_over_time(dispatcharr_up[1m]) >= 2');
        if (ups.length !== 2) throw new Error(`${ups.length} demos scraped twice`);
      },
      30_000,
      250,
    );
  });
  after(async () => {
    await prometheus?.stop();
    await v2?.stop();
    await v3?.stop();
    wire?.server.close();
  });

  test('the demo needs no PostgreSQL or Redis, reports the simulated Dispatcharr up, and says it is a demo', async () => {
    assert.equal(wire.connections(), 0, 'nothing connected to the PostgreSQL and Redis ports');
    for (const demo of [v2, v3]) {
      const metrics = await demo.metrics();
      assert.match(metrics, /^dispatcharr_up 1$/m);
      assert.match(metrics, /^dispatcharr_redis_up 1$/m);
      assert.match(metrics, /^dispatcharr_info\{version="[^"]*demo"\} 1$/m);
      assert.doesNotMatch(metrics, /collector_success\{[^}]*\} 0$/m);
      const health = (await (await demo.get('/health')).json()) as { exporter: { version: string }; dispatcharr: { version: string } };
      assert.match(health.dispatcharr.version, /demo/);
      assert.match(health.exporter.version, /demo/);
      assert.match(await (await demo.get('/')).text(), /demo/i);
    }
    assert.match(v2.output(), /demo mode/);
    assert.doesNotMatch(v2.output(), /unreachable|level=error/);
  });

  test('every PromQL expression of the README returns data (the few that only answer trouble, nothing)', async () => {
    const expressions = readmePromql();
    assert.ok(expressions.length >= 60, `${expressions.length} expressions found`);
    for (const expr of expressions) {
      const healthyEmpty = EMPTY_WHEN_HEALTHY.get(expr);
      if (healthyEmpty !== undefined) {
        assert.deepEqual(await prometheus.query(expr), [], `${expr}: ${healthyEmpty}`);
        continue;
      }
      await waitFor(`data for ${expr}`, async () => assert.ok((await prometheus.query(expr)).length > 0), DATA_WITHIN_MS, 500);
    }
    for (const expr of EMPTY_WHEN_HEALTHY.keys()) assert.ok(expressions.includes(expr), `the README no longer shows ${expr}`);
  });

  test('every query of the Grafana dashboard returns data, with the v2 demo as its instance', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../monitoring/dashboard.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    // The dashboard is written for the v2 layout; the v3 demo's channels have the same UUIDs, as a second exporter of one Dispatcharr would.
    const instance = `127.0.0.1:${v2.port}`;
    const concrete = (expr: string) =>
      expr.replaceAll('$job', 'dispatcharr').replaceAll('$instance', instance).replaceAll('$__rate_interval', '1m');
    const targets = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: concrete(target.expr) })),
    );
    assert.ok(targets.length >= 15);
    for (const { panel, expr } of targets) {
      await waitFor(`data for "${panel}": ${expr}`, async () => assert.ok((await prometheus.query(expr)).length > 0), DATA_WITHIN_MS, 500);
    }
    const [backups] = await prometheus.query(concrete(targets.find((t) => t.panel === 'Channels on a backup stream')?.expr ?? ''));
    assert.ok(Number(backups?.value[1]) >= 1, 'a channel on its backup stream');
  });

  test('the failover and expiry alerts fire, with the others the story calls for, and no backend alert', async () => {
    const firing = async () => {
      const rows = await prometheus.query('ALERTS{alertstate="firing"}');
      return rows.map((r) => r.metric);
    };
    await waitFor(
      'the alerts to fire',
      async () => {
        const names = new Set((await firing()).map((m) => m['alertname']));
        for (const name of SHOULD_FIRE) assert.ok(names.has(name), `${name} is not firing`);
      },
      60_000,
      1000,
    );
    const alerts = await firing();
    const expiring = alerts.filter((m) => m['alertname'] === 'DispatcharrProviderExpiringSoon').map((m) => m['account_name']);
    assert.deepEqual([...new Set(expiring)].sort(), ['Nordic IPTV', 'Old Reseller'], 'expiring in days, and expired');
    const onBackup = alerts.filter((m) => m['alertname'] === 'DispatcharrStreamOnBackup');
    assert.ok(
      onBackup.some((m) => m['channel_number'] === '101.0'),
      'Aurora News plays its backup',
    );
    const pendingOrFiring = await prometheus.query('ALERTS');
    for (const row of pendingOrFiring) assert.ok(!NEVER.includes(row.metric['alertname'] ?? ''), `${row.metric['alertname']} went off`);
  });
});
