import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatValue, pythonFloat } from '../../src/exposition/numbers.js';

test('pythonFloat matches Python repr(float) for channel numbers and edge cases', () => {
  // Expected strings are what CPython 3 prints for repr(float(x)).
  const cases: [number, string][] = [
    [1001, '1001.0'],
    [1015.5, '1015.5'],
    [7, '7.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [-3, '-3.0'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [0.000123, '0.000123'],
    [0.0000123, '1.23e-05'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [123456789.125, '123456789.125'],
    [1 / 3, '0.3333333333333333'],
    [2.5e-300, '2.5e-300'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ];
  for (const [input, expected] of cases) assert.equal(pythonFloat(input), expected, `repr(${input})`);
  assert.equal(pythonFloat(NaN), 'nan');
  assert.equal(pythonFloat(-Infinity), '-inf');
});

test('formatValue writes integers plainly and special values in exposition spelling', () => {
  assert.equal(formatValue(3), '3');
  assert.equal(formatValue(-3), '-3');
  assert.equal(formatValue(0.25), '0.25');
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity), '-Inf');
});

test('derived values lose float noise but keep their precision; stored values are untouched', async () => {
  const { derived, KIBPS_TO_KBPS } = await import('../../src/collectors/units.js');
  assert.equal(118.5 * KIBPS_TO_KBPS, 970.7520000000001, 'the noise this is about');
  assert.equal(derived(118.5 * KIBPS_TO_KBPS), 970.752);
  assert.equal(derived(1 / 3), 0.333333333333);
  assert.equal(derived(10113024), 10113024);
  assert.equal(derived(1234567.891234567), 1234567.89123);
  assert.ok(Number.isNaN(derived(Number.NaN)));
});

/** The doubles just below and just above a positive double. */
function neighbours(value: number): [number, number] {
  const double = new Float64Array([value]);
  const bits = new BigInt64Array(double.buffer);
  bits[0] = (bits[0] as bigint) - 1n;
  const below = double[0] as number;
  bits[0] = (bits[0] as bigint) + 2n;
  return [below, double[0] as number];
}

test('derived gives exactly what Number(value.toPrecision(12)) gives, for any double', async () => {
  const { derived } = await import('../../src/collectors/units.js');
  const reference = (value: number) => (Number.isFinite(value) ? Number(value.toPrecision(12)) : value);
  const same = (value: number) => Object.is(derived(value), reference(value));
  // Near-halves (left to toPrecision), powers of ten on either side, the ends of the arithmetic path, zeros, rates.
  const edges = [
    0.1234567890125,
    1.000000000005,
    999999999999.5,
    999999999999.4,
    99999999999.95,
    1e12,
    1e12 - 1,
    1e-11,
    9.99999999999e-12,
    1e-12,
    1e21,
    5e-324,
    Number.MAX_VALUE,
    0,
    -0,
    -970.7520000000001,
    118.5 * 8.192,
    1234.5678 * 8.192,
    2 ** 53,
    0.5,
  ];
  for (const value of edges) assert.ok(same(value), `${value}`);
  for (let power = -15; power <= 15; power++) {
    for (const value of [10 ** power, ...neighbours(10 ** power)]) assert.ok(same(value), `${value}`);
  }
  fc.assert(fc.property(fc.double(), same), { numRuns: 20_000 });
  // Rates as Dispatcharr stores them (a few decimals) times the kbps factor: the values derived sees most.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 6 }), (units, decimals) =>
      same((units / 10 ** decimals) * 8.192),
    ),
    { numRuns: 20_000 },
  );
});

test('a scrape-timeout header beyond the maximum behaves like the maximum', async () => {
  const { MAX_SCRAPE_SECONDS, scrapeDeadline } = await import('../../src/scrape/deadline.js');
  assert.equal(scrapeDeadline('3000000', 10, 0), MAX_SCRAPE_SECONDS * 1000);
  assert.equal(scrapeDeadline(String(MAX_SCRAPE_SECONDS + 0.5), 10, 0), MAX_SCRAPE_SECONDS * 1000);
  assert.equal(scrapeDeadline('10', 10, 0), 9_500);
  assert.equal(scrapeDeadline('0.2', 10, 0), 500);
  assert.equal(scrapeDeadline('nonsense', 7, 0), 7_000);
});
