/**
 * Property-based tests (fast-check) of everything a text from Dispatcharr's database, Redis or the settings can do
 * to the exposition: generated hostile texts (astral plane, combining marks, lone surrogates, C0/C1 controls, DEL,
 * quotes, backslashes, newlines, texts up to 100,000 code units) in every text that reaches a label, through the real
 * collectors (defaultCollectors + runCollectors) and renderExposition, read back with the strict parser.
 * A failure prints fast-check's seed and the shrunk texts; `FUZZ_SEED=<seed>` replays it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cutText } from '../../src/collectors/programming.js';
import { defaultCollectors, runCollectors } from '../../src/collectors/registry.js';
import type { MetricFamily } from '../../src/exposition/family.js';
import { pythonFloat } from '../../src/exposition/numbers.js';
import { escapeLabelValue } from '../../src/exposition/label-texts.js';
import { renderExposition } from '../../src/exposition/render.js';
import { createLogger } from '../../src/log.js';
import { parseExposition } from '../support/exposition.js';
import {
  cut,
  expectations,
  findSample,
  fuzzSettings,
  fuzzSnapshot,
  hostileText,
  hostileUnit,
  LAYOUTS,
  type Texts,
  textsArbitrary,
  wellFormed,
} from '../fixtures/label-fuzz.js';

/** Runs per property; FUZZ_RUNS raises it for a longer local hunt. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);
const seed = process.env['FUZZ_SEED'] === undefined ? {} : { seed: Number(process.env['FUZZ_SEED']) };
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...seed });

const SHORT = textsArbitrary({ maxLength: 24 });
const LONG = textsArbitrary({ maxLength: 100_000 });
const quiet = createLogger('error', () => {});

function render(texts: Texts, layout: 'v2' | 'v3', channelNumber?: number): { families: MetricFamily[]; text: string } {
  const settings = fuzzSettings(texts, layout);
  const { families, outcomes } = runCollectors(
    defaultCollectors({ version: '0.0.0-fuzz', accessLog: false }),
    fuzzSnapshot(texts, channelNumber),
    settings,
    quiet,
  );
  const failed = outcomes.filter((o) => !o.success).map((o) => o.name);
  assert.deepEqual(failed, [], `collectors failed on generated texts: ${failed.join(', ')}`);
  return { families, text: renderExposition(families) };
}

/**
 * The series the collectors produced, per family name in output order, their values as `transform` makes them, exact
 * repeats dropped (the renderer's rule, on the bytes it writes).
 */
function producedSeries(families: readonly MetricFamily[], transform: (s: string) => string): Map<string, [string, string][][]> {
  const out = new Map<string, { seen: Set<string>; series: [string, string][][] }>();
  for (const family of families) {
    let block = out.get(family.name);
    if (!block) {
      block = { seen: new Set(), series: [] };
      out.set(family.name, block);
    }
    for (const s of family.samples) {
      const entries = Object.entries(s.labels).map(([k, v]): [string, string] => [k, transform(v)]);
      const key = JSON.stringify(entries);
      if (block.seen.has(key)) continue;
      block.seen.add(key);
      block.series.push(entries);
    }
  }
  return new Map([...out].filter(([, b]) => b.series.length > 0).map(([name, b]) => [name, b.series]));
}

function assertRoundTrip(families: readonly MetricFamily[], text: string, transform: (s: string) => string = wellFormed): void {
  const parsed = parseExposition(text);
  const produced = producedSeries(families, transform);
  assert.deepEqual([...parsed.keys()], [...produced.keys()], 'the same families, in the same order');
  for (const [name, series] of produced) {
    const back = (parsed.get(name)?.samples ?? []).map((s) => Object.entries(s.labels));
    assert.equal(back.length, series.length, `${name}: as many series as produced`);
    for (const [i, entries] of series.entries()) assert.deepStrictEqual(back[i], entries, `${name} series ${i}: labels byte for byte`);
  }
}

function assertExpectations(texts: Texts, layout: 'v2' | 'v3', text: string, transform: (s: string) => string = wellFormed): void {
  const parsed = parseExposition(text);
  for (const e of expectations(texts, layout)) {
    const labels = findSample(parsed, e, transform);
    if (typeof labels === 'string') assert.fail(`${e.family}.${e.label} (from ${e.from}): ${labels}`);
    const expected = e.value === undefined ? undefined : transform(e.value);
    assert.strictEqual(labels[e.label], expected, `${e.family}.${e.label} from ${e.from} (${layout})`);
  }
}

describe('fuzz: hostile texts in every label', () => {
  for (const layout of LAYOUTS) {
    test(`${layout}: the exposition parses strictly and every series the collectors made comes back byte for byte`, () => {
      fc.assert(
        fc.property(SHORT, (texts) => {
          const { families, text } = render(texts, layout);
          assertRoundTrip(families, text);
        }),
        params(RUNS),
      );
    });

    test(`${layout}: every generated text reaches each of its labels as documented (cut, redacted, unknown/trimmed)`, () => {
      fc.assert(
        fc.property(SHORT, (texts) => assertExpectations(texts, layout, render(texts, layout).text)),
        params(RUNS),
      );
    });

    test(`${layout}: texts up to 100,000 code units: still parses, round-trips, and programme texts are cut to their limits`, () => {
      fc.assert(
        fc.property(LONG, (texts) => {
          const { families, text } = render(texts, layout);
          assertRoundTrip(families, text);
          assertExpectations(texts, layout, text);
        }),
        params(Math.max(20, Math.round(RUNS / 4))),
      );
    });

    test(`${layout}: any channel number (NaN, ±Infinity, -0, subnormal, 1e308) is a parseable label and value`, () => {
      fc.assert(
        fc.property(SHORT, fc.double(), (texts, number) => {
          const { families, text } = render(texts, layout, number);
          assertRoundTrip(families, text);
          const labels = parseExposition(text).get('dispatcharr_stream_metadata')?.samples[0]?.labels;
          assert.strictEqual(labels?.['channel_number'], pythonFloat(number));
        }),
        params(RUNS),
      );
    });

    test(`${layout}: on the wire (UTF-8, as the HTTP layer encodes it) the text is valid UTF-8 and each label is the text with lone surrogates as U+FFFD`, () => {
      fc.assert(
        fc.property(SHORT, (texts) => {
          const { families, text } = render(texts, layout);
          const bytes = Buffer.from(text, 'utf8');
          const decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          assert.equal(decoded, wellFormed(text));
          assertRoundTrip(families, decoded, wellFormed);
          assertExpectations(texts, layout, decoded, wellFormed);
        }),
        params(RUNS),
      );
    });
  }
});

describe('fuzz: the pieces', () => {
  test('escapeLabelValue: no raw line feed or bare quote survives, and the strict parser reads back the exact text', () => {
    fc.assert(
      fc.property(hostileText({ maxLength: 2000 }), (value) => {
        const escaped = escapeLabelValue(value);
        assert.ok(!escaped.includes('\n'));
        assert.ok(!/(^|[^\\])(\\\\)*"/.test(escaped), 'every quote is escaped');
        const back = parseExposition(`# HELP x x\n# TYPE x gauge\nx{l="${escaped}"} 1\n`).get('x')?.samples[0]?.labels['l'];
        assert.strictEqual(back, value);
      }),
      params(RUNS * 5),
    );
  });

  test('renderExposition: two series whose generated label values differ on the wire are both written (escaping is injective)', () => {
    fc.assert(
      fc.property(hostileText({ maxLength: 200 }), hostileText({ maxLength: 200 }), (a, b) => {
        fc.pre(a !== b);
        const text = renderExposition([
          {
            name: 'x',
            help: 'x',
            type: 'gauge',
            samples: [
              { labels: { l: a }, value: 1 },
              { labels: { l: b }, value: 2 },
            ],
          },
        ]);
        // On the wire a lone surrogate is U+FFFD: values that differ only there are one series, written once.
        const [wireA, wireB] = [wellFormed(a), wellFormed(b)];
        assert.deepStrictEqual(
          parseExposition(text)
            .get('x')
            ?.samples.map((s) => s.labels['l']),
          wireA === wireB ? [wireA] : [wireA, wireB],
        );
      }),
      params(RUNS * 5),
    );
  });

  test('cutText: the documented cut (at most limit code points, limit - 1 and "…" when longer), never splitting a surrogate pair', () => {
    const withPairs = fc.array(hostileUnit, { maxLength: 600 }).map((units) => units.join(''));
    fc.assert(
      fc.property(withPairs, fc.integer({ min: 1, max: 520 }), (text, limit) => {
        const result = cutText(text, limit);
        assert.strictEqual(result, cut(text, limit));
        assert.ok(Array.from(result).length <= limit);
        // A text without lone surrogates keeps none after the cut.
        if (wellFormed(text) === text) assert.strictEqual(wellFormed(result), result);
      }),
      params(RUNS * 5),
    );
  });
});
