/** Numbers Dispatcharr stores as text: the short way parseNumber takes gives what the decimal pattern alone gives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseNumber } from '../../src/collectors/live-view.js';

/** The rule the exporter documents: a decimal, white space around it allowed, finite. */
function byPattern(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

const same = (text: string) => Object.is(parseNumber(text), byPattern(text));

test('parseNumber reads decimals and refuses everything else Number() would take', () => {
  const accepted: [string, number][] = [
    ['12', 12],
    [' 12 ', 12],
    ['\u00a012.5\n', 12.5],
    ['-0', -0],
    ['+.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['0012', 12],
    ['\ufeff7', 7],
    ['\u30008', 8],
  ];
  for (const [text, value] of accepted) assert.ok(Object.is(parseNumber(text), value), JSON.stringify(text));
  const refused = [
    '',
    ' ',
    '\t\n',
    '0x1f',
    '0X1F',
    '0o17',
    '0b101',
    ' 0x10',
    '\u00a00b1',
    'Infinity',
    '-Infinity',
    '1e999',
    'NaN',
    '1_000',
    '1,5',
    '.',
    'e5',
    '1e',
    '--1',
    '½',
  ];
  for (const text of refused) assert.equal(parseNumber(text), undefined, JSON.stringify(text));
  assert.equal(parseNumber(undefined), undefined);
});

test('parseNumber agrees with the decimal pattern on any text', () => {
  const pieces = [
    '0',
    '1',
    '9',
    '.',
    'e',
    'E',
    '+',
    '-',
    'x',
    'X',
    'o',
    'O',
    'b',
    'B',
    ' ',
    '\t',
    '\n',
    '\u00a0',
    '\u1680',
    '\u2028',
    '\ufeff',
    '\u3000',
    'I',
    'nfinity',
    '_',
    ',',
    '\u0660',
    'a',
  ];
  const built = fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((parts) => parts.join(''));
  fc.assert(fc.property(built, same), { numRuns: 50_000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 12 }), same), { numRuns: 20_000 });
  const written = fc.tuple(fc.double(), fc.constantFrom('', ' ', '\u00a0', '\n'), fc.constantFrom('', ' ', '\t'));
  fc.assert(
    fc.property(written, ([value, before, after]) => same(`${before}${value}${after}`)),
    { numRuns: 20_000 },
  );
});
