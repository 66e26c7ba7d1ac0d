/** Text exposition format 0.0.4: one contiguous block per family, HELP and TYPE first. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Body, ChunkWriter } from './chunks.js';
import type { MetricFamily, Sample } from './family.js';
import { LabelTexts } from './label-texts.js';
import { formatValue, pythonFloat } from './numbers.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const HELP_SPECIALS = /[\\\n]/;
const HELP_SPECIALS_ALL = /[\\\n]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n' };
const escapeOne = (special: string): string => ESCAPES[special] ?? special;
/**
 * Lines written between two pauses of an asynchronous rendering (about 100 KB of text). A compressor fed by the
 * rendering gets its next input only at a pause: at 2,048 lines it waited for it, and had 6-7 ms of a large body left
 * to compress when the rendering ended, against 4-5 ms at 512.
 */
const LINES_PER_SLICE = 512;

function escapeHelp(text: string): string {
  return HELP_SPECIALS.test(text) ? text.replace(HELP_SPECIALS_ALL, escapeOne) : text;
}

/** Where rendered text goes: a list of strings, or UTF-8 chunks. */
interface TextSink {
  write(text: string): void;
  /** The same as write, for a text written on many lines. */
  writeRepeated(text: string): void;
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
function* writeExposition(families: readonly MetricFamily[], sink: TextSink, texts: LabelTexts): Generator<void, void, void> {
  let lines = 0;
  for (const group of byName(families)) {
    const [head] = group;
    if (head === undefined) continue;
    let headerWritten = false;
    const block = texts.newBlock();
    for (const family of group) {
      const format = family.valueFormat === 'python-float' ? pythonFloat : formatValue;
      const samples = family.samples;
      // Indexed: a for-of loop inside a generator allocated an iterator result per sample.
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i] as Sample;
        const record = texts.of(s.labels);
        if (record.block === block) continue;
        record.block = block;
        if (!headerWritten) {
          sink.write(`# HELP ${head.name} ${escapeHelp(head.help)}\n# TYPE ${head.name} ${head.type}\n`);
          headerWritten = true;
        }
        sink.writeRepeated(family.name);
        sink.write(record.text);
        sink.writeValue(Number.isFinite(s.value) ? format(s.value) : formatValue(s.value));
        if (++lines % LINES_PER_SLICE === 0) yield;
      }
    }
  }
}

function writeAll(families: readonly MetricFamily[], sink: TextSink, texts = new LabelTexts()): void {
  for (const _ of writeExposition(families, sink, texts));
}

/** The exposition as one string (tests, small outputs). */
export function renderExposition(families: readonly MetricFamily[]): string {
  const parts: string[] = [];
  writeAll(families, {
    write: (text) => parts.push(text),
    writeRepeated: (text) => parts.push(text),
    writeValue: (value) => parts.push(` ${value}\n`),
  });
  return parts.join('');
}

/** The exposition as UTF-8 chunks in reused buffers, byte for byte the UTF-8 encoding of renderExposition's text. */
export function renderExpositionBody(families: readonly MetricFamily[], texts?: LabelTexts): Body {
  const writer = new ChunkWriter();
  writeAll(families, writer, texts);
  return writer.finish();
}

/**
 * The same body, rendered a slice at a time with a turn of the event loop in between, each chunk handed to `onSeal`
 * once complete: a compressor fed from there works on the thread pool while the rest is rendered. `texts`: label
 * texts made ahead, perhaps for some of these families.
 */
export async function renderExpositionBodySliced(
  families: readonly MetricFamily[],
  onSeal: (chunk: Buffer) => void,
  texts = new LabelTexts(),
): Promise<Body> {
  const writer = new ChunkWriter(onSeal);
  for (const _ of writeExposition(families, writer, texts)) await nextTurn();
  return writer.finish();
}
