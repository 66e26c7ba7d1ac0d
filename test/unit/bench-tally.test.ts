/** The benchmark's tallies count what their counters advance inside the blocks given, never in between. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Counter, CounterTally } from '../../scripts/bench/backend-counters.js';

/** A counter the test advances by hand; `known` false makes it one that cannot tell (a server on another machine). */
function manualCounter(known = true) {
  let value = 0;
  const counter: Counter = { total: async () => (known ? value : null), close: async () => {} };
  return { counter, add: (n: number) => (value += n) };
}

test('a tally sums its counters over its blocks and leaves out what happens between them', async () => {
  const [a, b] = [manualCounter(), manualCounter()];
  const tally = new CounterTally([a.counter, b.counter]);
  const first = await tally.during(async () => {
    a.add(3);
    b.add(10);
    return 'first';
  });
  assert.equal(first, 'first');
  a.add(1000);
  b.add(1000);
  await tally.during(async () => {
    a.add(4);
    b.add(20);
  });
  assert.equal(tally.sum(0), 7);
  assert.equal(tally.sum(1), 30);
});

test('a counter that cannot tell leaves its sum unknown, not zero', async () => {
  const [known, unknown] = [manualCounter(), manualCounter(false)];
  const tally = new CounterTally([known.counter, unknown.counter]);
  await tally.during(async () => known.add(5));
  assert.equal(tally.sum(0), 5);
  assert.equal(tally.sum(1), null);
});
