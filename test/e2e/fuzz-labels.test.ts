/**
 * The label fuzzing through the real tools: generated hostile texts (test/fixtures/label-fuzz.ts), rendered by the real
 * collectors into one exposition text per layout (each case's series carry a `case` label), must pass
 * `promtool check metrics` with only the README's documented findings, and a real Prometheus scraping that text from
 * a loopback HTTP server must store every label byte for byte.
 *
 * What the exporter guarantees on the wire: the label is the text as UTF-8; a lone surrogate (a JavaScript string
 * can hold one, Unicode cannot) is written as U+FFFD, the only change. Prometheus drops empty labels, so an empty
 * value and an absent label read the same there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultCollectors, runCollectors } from '../../src/collectors/registry.js';
import type { MetricFamily } from '../../src/exposition/family.js';
import { CONTENT_TYPE, renderExposition } from '../../src/exposition/render.js';
import { createLogger } from '../../src/log.js';
import {
  expectations,
  findSample,
  fuzzSettings,
  fuzzSnapshot,
  LAYOUTS,
  type Texts,
  textsArbitrary,
  wellFormed,
} from '../fixtures/label-fuzz.js';
import { parseExposition } from '../support/exposition.js';
import { waitFor } from '../support/ports.js';
import { promtoolCheckMetrics, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { documentedPromtoolFindings } from '../support/readme.js';

/** Generated cases per layout; a few of them carry texts up to 100,000 code units. */
const CASES = Number(process.env['FUZZ_E2E_CASES'] ?? 30);
const SEED = process.env['FUZZ_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['FUZZ_SEED']);
const CASE_LABEL = 'case';
const quiet = createLogger('error', () => {});

type Layout = (typeof LAYOUTS)[number];

interface Target {
  readonly layout: Layout;
  readonly cases: readonly Texts[];
  /** The exposition as the exporter sends it: UTF-8 bytes. */
  readonly body: Buffer;
  readonly server: Server;
  address: string;
}

function generate(layout: Layout): { cases: Texts[]; text: string } {
  const arbitrary = fc.oneof(
    { weight: 5, arbitrary: textsArbitrary({ maxLength: 24 }) },
    { weight: 1, arbitrary: textsArbitrary({ maxLength: 100_000 }) },
  );
  const cases = fc.sample(arbitrary, { numRuns: CASES, seed: SEED + (layout === 'v3' ? 1 : 0) });
  const collectors = defaultCollectors({ version: '0.0.0-fuzz', accessLog: false });
  const families: MetricFamily[] = cases.flatMap((texts, i) => {
    const { families: mine, outcomes } = runCollectors(collectors, fuzzSnapshot(texts), fuzzSettings(texts, layout), quiet);
    assert.deepEqual(
      outcomes.filter((o) => !o.success).map((o) => o.name),
      [],
      `case ${i}: no collector fails`,
    );
    return mine.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, labels: { [CASE_LABEL]: String(i), ...s.labels } })) }));
  });
  return { cases, text: renderExposition(families) };
}

/** Series per case and family, as label sets without empty values (what Prometheus keeps), sorted. */
function seriesByCase(samples: readonly { name: string; labels: Record<string, string> }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of samples) {
    const entries = Object.entries(s.labels)
      .filter(([k, v]) => v !== '' && k !== CASE_LABEL)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const key = `${s.labels[CASE_LABEL]}/${s.name}`;
    out.set(key, [...(out.get(key) ?? []), JSON.stringify(entries)]);
  }
  for (const list of out.values()) list.sort();
  return out;
}

describe(`fuzz through promtool and a real Prometheus (seed ${SEED}, ${CASES} cases per layout; FUZZ_SEED=${SEED} replays)`, () => {
  const targets: Target[] = [];
  let prometheus: RunningPrometheus | undefined;
  let prometheusDir: string | undefined;

  before(async () => {
    for (const layout of LAYOUTS) {
      const { cases, text } = generate(layout);
      const body = Buffer.from(text, 'utf8');
      const server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': body.length });
        res.end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      targets.push({ layout, cases, body, server, address: typeof address === 'object' && address ? `127.0.0.1:${address.port}` : '' });
    }
  });

  after(async () => {
    await prometheus?.stop();
    if (prometheusDir) rmSync(prometheusDir, { recursive: true, force: true });
    await Promise.all(targets.map((t) => new Promise<void>((resolve) => t.server.close(() => resolve()))));
  });

  test('the UTF-8 body is valid UTF-8 and parses strictly, each label the generated text with lone surrogates as U+FFFD', () => {
    for (const target of targets) {
      // The generated cases do hold what the test is about.
      for (const byte of [0x00, 0x0d, 0x1f, 0x7f]) assert.ok(target.body.includes(byte), `${target.layout}: the body holds byte ${byte}`);
      for (const char of ['\\\\', '\\"', '\\n', '\ufffd'])
        assert.ok(target.body.includes(char), `${target.layout}: the body holds ${JSON.stringify(char)}`);
      assert.ok(
        target.body.some((b) => b >= 0xf0),
        `${target.layout}: the body holds astral characters`,
      );
      const text = new TextDecoder('utf-8', { fatal: true }).decode(target.body);
      const parsed = parseExposition(text);
      for (const [i, texts] of target.cases.entries()) {
        for (const e of expectations(texts, target.layout)) {
          const labels = findSample(parsed, { ...e, match: { ...e.match, [CASE_LABEL]: String(i) } }, wellFormed);
          if (typeof labels === 'string') assert.fail(`${target.layout} case ${i}: ${e.family}.${e.label}: ${labels}`);
          assert.strictEqual(
            labels[e.label],
            e.value === undefined ? undefined : wellFormed(e.value),
            `${target.layout} case ${i}: ${e.family}.${e.label}`,
          );
        }
      }
    }
  });

  test("promtool check metrics accepts it, with only the README's documented findings", () => {
    const documented = documentedPromtoolFindings();
    for (const target of targets) {
      const { findings } = promtoolCheckMetrics(target.body.toString('utf8'));
      // promtool got as far as linting names (the documented findings show), so it parsed every line.
      assert.ok(
        findings.some((f) => documented.includes(f)),
        `${target.layout}: promtool said ${findings.join('; ')}`,
      );
      const undocumented = findings.filter((f) => !documented.includes(f));
      assert.deepEqual(undocumented, [], `${target.layout}: promtool findings not in the README`);
    }
  });

  test('a real Prometheus scrapes it and stores every label byte for byte', async () => {
    prometheusDir = mkdtempSync(join(process.env['TEST_TMP'] ?? tmpdir(), 'fuzz-prometheus-'));
    prometheus = await startPrometheus(
      prometheusDir,
      targets.map((t) => t.address),
    );
    const running = prometheus;
    // The time of a scrape of each target that succeeded: the queries read the series as that scrape stored them (a
    // later scrape that times out on a busy machine would mark them stale).
    const scrapedAt = new Map<string, number>();
    await waitFor(
      'Prometheus to scrape both fuzz targets',
      async () => {
        for (const target of targets) {
          const [ok] = await running.query(`timestamp(up{instance="${target.address}"} == 1)`);
          if (ok) scrapedAt.set(target.address, Number(ok.value[1]));
        }
        if (scrapedAt.size < targets.length) {
          const health = JSON.stringify(await (await fetch(`${running.url}/api/v1/targets`)).json());
          throw new Error(`not scraped yet: ${(health.match(/"lastError":"[^"]*"/g) ?? []).join(' ')}`);
        }
      },
      60_000,
      500,
    );
    for (const target of targets) {
      const expr = `{__name__=~"dispatcharr_.+", instance="${target.address}"}`;
      const response = await fetch(`${running.url}/api/v1/query?query=${encodeURIComponent(expr)}&time=${scrapedAt.get(target.address)}`);
      const answer = (await response.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string> }[] } };
      assert.equal(answer.status, 'success', answer.error);
      const stored = answer.data.result;
      const fromPrometheus = stored.map((r) => {
        const { __name__: name = '', job: _job, instance: _instance, ...labels } = r.metric;
        return { name, labels };
      });
      const sent = [...parseExposition(target.body.toString('utf8')).values()].flatMap((f) => f.samples);
      // Every series sent is stored, with the same labels (empty ones dropped), and nothing else.
      assert.deepEqual(seriesByCase(fromPrometheus), seriesByCase(sent), `${target.layout}: the stored series are the ones sent`);
      // And each generated text is where it belongs.
      const byFamily = new Map<string, { samples: { labels: Record<string, string> }[] }>();
      for (const s of fromPrometheus) byFamily.set(s.name, { samples: [...(byFamily.get(s.name)?.samples ?? []), s] });
      for (const [i, texts] of target.cases.entries()) {
        for (const e of expectations(texts, target.layout)) {
          const labels = findSample(byFamily, { ...e, match: { ...e.match, [CASE_LABEL]: String(i) } }, wellFormed);
          if (typeof labels === 'string') assert.fail(`${target.layout} case ${i}: ${e.family}.${e.label} (from ${e.from}): ${labels}`);
          assert.strictEqual(
            labels[e.label] ?? '',
            wellFormed(e.value ?? ''),
            `${target.layout} case ${i}: ${e.family}.${e.label} (from ${e.from})`,
          );
        }
      }
    }
  });
});
