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
/**
 * Lines written between two pauses of an asynchronous rendering (about 100 KB of text). A compressor fed by the
 * rendering gets its next input only at a pause: at 2,048 lines it waited for it, and had 6-7 ms of a large body left
 * to compress when the rendering ended, against 4-5 ms at 512.
 */
const LINES_PER_SLICE = 512;

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

/** A rendered label set, and the block (family) it was last written in. */
interface Rendered {
  readonly text: string;
  block: number;
}

/** Where rendered text goes: a list of strings, or UTF-8 chunks. */
interface TextSink {
  write(text: string): void;
  /** ` <value>\n`: a formatted number (ASCII) and the end of its line. */
  writeValue(value: string): void;
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
 * Pauses (yields) every few hundred lines, so an asynchronous caller can let other work run in between.
 */
function* writeExposition(families: readonly MetricFamily[], sink: TextSink): Generator<void, void, void> {
  let lines = 0;
  let block = 0;
  // Collectors hand one label set to several families (a stream's, a client's): each set is rendered once, and its
  // text is looked up once, on first sight, among the texts already rendered, so that different sets with the same
  // text share one record. A repeat within one block (the record last written in it) is a repeated series.
  const rendered = new Map<Labels, Rendered>();
  const byText = new Map<string, Rendered>();
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
        let record = rendered.get(s.labels);
        if (record === undefined) {
          const text = renderLabels(s.labels);
          record = byText.get(text);
          if (record === undefined) {
            record = { text, block: 0 };
            byText.set(text, record);
          }
          rendered.set(s.labels, record);
        }
        if (record.block === block) continue;
        record.block = block;
        if (!headerWritten) {
          sink.write(`# HELP ${head.name} ${escapeHelp(head.help)}\n# TYPE ${head.name} ${head.type}\n`);
          headerWritten = true;
        }
        sink.write(family.name);
        sink.write(record.text);
        sink.writeValue(Number.isFinite(s.value) ? format(s.value) : formatValue(s.value));
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
  writeAll(families, {
    write: (text) => parts.push(text),
    writeValue: (value) => parts.push(` ${value}\n`),
  });
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
