/** Text exposition format 0.0.4: one contiguous block per family, HELP and TYPE first. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Body, ChunkWriter } from './chunks.js';
import type { Labels, MetricFamily, Sample } from './family.js';
import { formatValue, pythonFloat } from './numbers.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const LABEL_SPECIALS = /[\\"\n]/;
const LABEL_SPECIALS_ALL = /[\\"\n]/g;
const HELP_SPECIALS = /[\\\n]/;
const HELP_SPECIALS_ALL = /[\\\n]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' };
const escapeOne = (special: string): string => ESCAPES[special] ?? special;
/** Lines written between two pauses of an asynchronous rendering (a few hundred KB of text). */
const LINES_PER_SLICE = 2048;

/** Backslash, double quote and line feed escaped; most values hold none, and are returned as they are. */
export function escapeLabelValue(value: string): string {
  return LABEL_SPECIALS.test(value) ? value.replace(LABEL_SPECIALS_ALL, escapeOne) : value;
}

function escapeHelp(text: string): string {
  return HELP_SPECIALS.test(text) ? text.replace(HELP_SPECIALS_ALL, escapeOne) : text;
}

/** `{name="` or `",name="`, made once per label name: the same few names open every label of a scrape. */
const openers = new Map<string, readonly [first: string, next: string]>();

function opener(name: string): readonly [string, string] {
  let pair = openers.get(name);
  if (pair === undefined) {
    pair = [`{${name}="`, `",${name}="`];
    openers.set(name, pair);
  }
  return pair;
}

/** Reused by every call (rendering is synchronous): a new array per label set was a third of a rendering's garbage. */
const parts: string[] = [];

/**
 * `{a="1",b="2"}`, or '' without labels. Joined from its parts rather than concatenated: concatenation leaves a
 * chain of intermediate strings per label, and the label sets of a large installation then made most of a
 * rendering's garbage.
 */
function renderLabels(labels: Labels): string {
  let n = 0;
  for (const name in labels) {
    const [first, next] = opener(name);
    parts[n] = n === 0 ? first : next;
    parts[n + 1] = escapeLabelValue(labels[name] ?? '');
    n += 2;
  }
  if (n === 0) return '';
  parts[n] = '"}';
  parts.length = n + 1;
  return parts.join('');
}

/** Where rendered text goes: a list of strings, or UTF-8 chunks. */
interface TextSink {
  write(text: string): void;
}

/** The families that share a name, in the order their names first appear. */
function byName(families: readonly MetricFamily[]): Iterable<readonly MetricFamily[]> {
  const groups = new Map<string, MetricFamily[]>();
  for (const family of families) {
    const group = groups.get(family.name);
    if (group) group.push(family);
    else groups.set(family.name, [family]);
  }
  return groups.values();
}

/**
 * Writes the families in input order. Families that share a name are merged into the first one's
 * block, and a repeated series (same name and labels) is written once, the first one winning, so the
 * output is deterministic for a given snapshot. Label sets are never changed once a collector made them, so a set
 * shared by several samples is rendered once.
 *
 * A line goes to the sink in pieces (name, labels, value) that already exist as strings: building each line, or
 * blocks of lines, first made a large installation's rendering allocate (and collect) twice its output size again.
 *
 * Pauses (yields) every few thousand lines, so an asynchronous caller can let other work run in between.
 */
function* writeExposition(families: readonly MetricFamily[], sink: TextSink): Generator<void, void, void> {
  let lines = 0;
  // The block each rendered label set was last written in: a repeat within one block is a repeated series. One map for
  // the whole rendering, rather than a set emptied for each block, which grew its table again every time.
  const writtenIn = new Map<string, number>();
  let block = 0;
  // Collectors hand one label set to several families (a stream's, a client's): each is rendered once.
  const rendered = new Map<Labels, string>();
  for (const group of byName(families)) {
    const [head] = group;
    if (head === undefined) continue;
    let headerWritten = false;
    block++;
    for (const family of group) {
      const format = family.valueFormat === 'python-float' ? pythonFloat : formatValue;
      const samples = family.samples;
      // Indexed: a for-of loop inside a generator allocated an iterator result per sample.
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i] as Sample;
        let labels = rendered.get(s.labels);
        if (labels === undefined) {
          labels = renderLabels(s.labels);
          rendered.set(s.labels, labels);
        }
        if (writtenIn.get(labels) === block) continue;
        writtenIn.set(labels, block);
        if (!headerWritten) {
          sink.write(`# HELP ${head.name} ${escapeHelp(head.help)}\n# TYPE ${head.name} ${head.type}\n`);
          headerWritten = true;
        }
        sink.write(family.name);
        sink.write(labels);
        sink.write(` ${Number.isFinite(s.value) ? format(s.value) : formatValue(s.value)}\n`);
        if (++lines % LINES_PER_SLICE === 0) yield;
      }
    }
  }
}

function writeAll(families: readonly MetricFamily[], sink: TextSink): void {
  for (const _ of writeExposition(families, sink));
}

/** The exposition as one string (tests, small outputs). */
export function renderExposition(families: readonly MetricFamily[]): string {
  const parts: string[] = [];
  writeAll(families, { write: (text) => parts.push(text) });
  return parts.join('');
}

/** The exposition as UTF-8 chunks in reused buffers, byte for byte the UTF-8 encoding of renderExposition's text. */
export function renderExpositionBody(families: readonly MetricFamily[]): Body {
  const writer = new ChunkWriter();
  writeAll(families, writer);
  return writer.finish();
}

/**
 * The same body, rendered a slice at a time with a turn of the event loop in between, each chunk handed to `onSeal`
 * once complete: a compressor fed from there works on the thread pool while the rest is rendered.
 */
export async function renderExpositionBodySliced(families: readonly MetricFamily[], onSeal: (chunk: Buffer) => void): Promise<Body> {
  const writer = new ChunkWriter(onSeal);
  for (const _ of writeExposition(families, writer)) await nextTurn();
  return writer.finish();
}
