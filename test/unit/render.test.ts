import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counter, gauge, sample } from '../../src/exposition/family.js';
import { escapeLabelValue } from '../../src/exposition/label-texts.js';
import { renderExposition, renderExpositionBody } from '../../src/exposition/render.js';
import { parseExposition } from '../support/exposition.js';

test('label values escape backslash, double quote and newline, in that order', () => {
  assert.equal(escapeLabelValue('a"b'), 'a\\"b');
  assert.equal(escapeLabelValue('a\\b'), 'a\\\\b');
  assert.equal(escapeLabelValue('\\"'), '\\\\\\"');
  assert.equal(escapeLabelValue('line1\nline2'), 'line1\\nline2');
  assert.equal(escapeLabelValue('trailing\\'), 'trailing\\\\');
});

test('each family is one block with HELP and TYPE first, and the body ends with a line feed', () => {
  const text = renderExposition([
    gauge('a_metric', 'First', [sample(1, { x: '1' })]),
    counter('b_total', 'Second\nline with \\', [sample(2)]),
    gauge('a_metric', 'First again', [sample(3, { x: '2' })]),
  ]);
  assert.equal(
    text,
    [
      '# HELP a_metric First',
      '# TYPE a_metric gauge',
      'a_metric{x="1"} 1',
      'a_metric{x="2"} 3',
      '# HELP b_total Second\\nline with \\\\',
      '# TYPE b_total counter',
      'b_total 2',
      '',
    ].join('\n'),
  );
});

test('a repeated series is written once, the first one wins', () => {
  const text = renderExposition([gauge('m', 'h', [sample(1, { a: 'x' }), sample(2, { a: 'x' }), sample(3, { a: 'y' })])]);
  assert.equal(text, '# HELP m h\n# TYPE m gauge\nm{a="x"} 1\nm{a="y"} 3\n');
});

test('sets sharing their first value are told apart by the rest, repeats written once, however many share it', () => {
  // Twelve distinct sets start with p="same", more than a handful, and each comes again as a new object later on.
  const distinct = Array.from({ length: 12 }, (_, i) => ({ p: 'same', id: String(i) }));
  const samples = [...distinct.map((labels, i) => sample(i, labels)), ...distinct.map((labels, i) => sample(100 + i, { ...labels }))];
  samples.push(sample(200, { p: 'same' }), sample(201, { p: 'same' }), sample(202, { p: 'other', id: '0' }));
  const lines = renderExposition([gauge('m', 'h', samples)])
    .split('\n')
    .slice(2, -1);
  assert.deepEqual(lines, [...distinct.map((_, i) => `m{p="same",id="${i}"} ${i}`), 'm{p="same"} 200', 'm{p="other",id="0"} 202']);
});

test('a few sets sharing a first value: a repeat of any of them, as a new object, is written once', () => {
  const samples = [sample(1, { p: 's', id: 'a' }), sample(2, { p: 's', id: 'b' }), sample(3, { p: 's', id: 'c' })];
  samples.push(sample(4, { p: 's', id: 'b' }), sample(5, { p: 's', id: 'a' }));
  const text = renderExposition([gauge('m', 'h', samples)]);
  assert.equal(text, '# HELP m h\n# TYPE m gauge\nm{p="s",id="a"} 1\nm{p="s",id="b"} 2\nm{p="s",id="c"} 3\n');
});

test('label values that differ only in lone surrogates are one series on the wire, written once', () => {
  // UTF-8 writes each lone surrogate as U+FFFD, so these three are the same bytes: a second line would be a duplicate.
  const family = gauge('x', 'h', [sample(1, { v: 'a\ud800' }), sample(2, { v: 'a\udc00' }), sample(3, { v: 'a\ufffd' })]);
  const body = renderExpositionBody([family]);
  assert.equal(Buffer.concat(body.chunks).toString('utf8'), '# HELP x h\n# TYPE x gauge\nx{v="a\ufffd"} 1\n');
  body.release();
  assert.equal(renderExposition([family]), '# HELP x h\n# TYPE x gauge\nx{v="a\ufffd"} 1\n');
});

test('families without samples are left out and an empty registry renders nothing', () => {
  assert.equal(renderExposition([gauge('m', 'h', [])]), '');
});

test('python-float families keep the .0 of integral values', () => {
  const text = renderExposition([{ ...gauge('n', 'h', [sample(1001), sample(1015.5, { c: '1' })]), valueFormat: 'python-float' }]);
  assert.match(text, /^n 1001\.0$/m);
  assert.match(text, /^n\{c="1"\} 1015\.5$/m);
});

test('hostile label values survive a strict parse unchanged', () => {
  const hostile = ['say "hi"', 'back\\slash', 'two\nlines', 'Ünïcødé 📺 チャンネル', 'x'.repeat(500), '\\"}', '{a="b"}', ''];
  const text = renderExposition([
    gauge(
      'm',
      'h',
      hostile.map((value, i) => sample(i, { name: value })),
    ),
  ]);
  const parsed = parseExposition(text);
  assert.deepEqual(
    parsed.get('m')?.samples.map((s) => s.labels['name']),
    hostile,
  );
});
