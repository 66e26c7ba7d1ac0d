import assert from 'node:assert/strict';
import { test } from 'node:test';
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

test('a scrape-timeout header beyond the maximum behaves like the maximum', async () => {
  const { MAX_SCRAPE_SECONDS, scrapeDeadline } = await import('../../src/scrape/deadline.js');
  assert.equal(scrapeDeadline('3000000', 10, 0), MAX_SCRAPE_SECONDS * 1000);
  assert.equal(scrapeDeadline(String(MAX_SCRAPE_SECONDS + 0.5), 10, 0), MAX_SCRAPE_SECONDS * 1000);
  assert.equal(scrapeDeadline('10', 10, 0), 9_500);
  assert.equal(scrapeDeadline('0.2', 10, 0), 500);
  assert.equal(scrapeDeadline('nonsense', 7, 0), 7_000);
});
