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
 * A line goes to the writer in pieces (name, labels, value) that already exist as strings: building each line, or
 * blocks of lines, first made a large installation's rendering allocate (and collect) twice its output size again.
 *
 * Pauses (yields) every few hundred lines, so an asynchronous caller can let other work run in between.
 */
function* writeExposition(
  families: readonly MetricFamily[],
  writer: ChunkWriter,
  texts: LabelTexts,
  ahead: ReadonlyMap<MetricFamily, PreRendered> = new Map(),
): Generator<void, void, void> {
  let lines = 0;
  for (const group of byName(families)) {
    const [head] = group;
    if (head === undefined) continue;
    const part = ahead.get(head);
    if (part !== undefined) {
      // Its families' blocks follow one another, as the part holds them: the first one brings the whole part.
      if (!part.adopted) {
        while (part.step()) yield;
        part.adopted = true;
        writer.adopt(part.body());
      }
      continue;
    }
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
          writer.write(`# HELP ${head.name} ${escapeHelp(head.help)}\n# TYPE ${head.name} ${head.type}\n`);
          headerWritten = true;
        }
        writer.writeRepeated(family.name);
        writer.write(record.text);
        writer.writeValue(Number.isFinite(s.value) ? format(s.value) : formatValue(s.value));
        if (++lines % LINES_PER_SLICE === 0) yield;
      }
    }
  }
}

/**
 * One collector's families rendered alone, ahead of the exposition, a slice at a time: while the last parts of a
 * snapshot are read, the families of the collectors already run are written then instead of after. The bytes are
 * those the exposition would hold when no other family shares a name with these (see `usableAhead`).
 */
export class PreRendered {
  /** Taken into an exposition: its buffers are released with it. */
  adopted = false;
  private readonly writer = new ChunkWriter();
  private readonly steps: Generator<void, void, void>;
  private finished: Body | undefined;

  constructor(
    readonly families: readonly MetricFamily[],
    texts: LabelTexts,
  ) {
    this.steps = writeExposition(families, this.writer, texts);
  }

  /** Renders one slice; false once everything is rendered. */
  step(): boolean {
    if (this.finished !== undefined) return false;
    if (!this.steps.next().done) return true;
    this.finished = this.writer.finish();
    return false;
  }

  body(): Body {
    while (this.step());
    return this.finished as Body;
  }

  /** Gives the buffers back, unless an exposition took them. */
  release(): void {
    if (this.adopted) return;
    this.steps.return();
    this.body().release();
  }
}

/**
 * The parts usable in an exposition of `families`, by their families: a part whose families share a name with a
 * family outside it would need its blocks merged with that family's, so it is left out (and released), and its
 * families are rendered with the rest.
 */
function usableAhead(families: readonly MetricFamily[], parts: readonly PreRendered[]): Map<MetricFamily, PreRendered> {
  const partOf = new Map<MetricFamily, PreRendered>();
  for (const part of parts) for (const family of part.families) partOf.set(family, part);
  const owners = new Map<string, PreRendered | null>();
  const unusable = new Set<PreRendered>();
  for (const family of families) {
    const part = partOf.get(family) ?? null;
    const owner = owners.get(family.name);
    if (owner === undefined) owners.set(family.name, part);
    else if (owner !== part) {
      if (owner !== null) unusable.add(owner);
      if (part !== null) unusable.add(part);
    }
  }
  // A part some of whose families are missing from the exposition cannot stand for them either.
  const inExposition = new Set(families);
  for (const part of parts) if (part.families.some((family) => !inExposition.has(family))) unusable.add(part);
  for (const part of unusable) {
    part.release();
    for (const family of part.families) partOf.delete(family);
  }
  return partOf;
}

/** Work done ahead of a rendering: the label texts made, and collectors' families rendered alone. */
export interface Ahead {
  readonly texts: LabelTexts;
  readonly parts: readonly PreRendered[];
}

/**
 * The exposition as one string (tests, the start-up collection): the text of renderExpositionBody's bytes, so a lone
 * surrogate in a label reads U+FFFD, as on the wire.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const body = renderExpositionBody(families);
  const text = Buffer.concat(body.chunks, body.byteLength).toString('utf8');
  body.release();
  return text;
}

/** The exposition as UTF-8 chunks in reused buffers. */
export function renderExpositionBody(families: readonly MetricFamily[], ahead?: Ahead): Body {
  const writer = new ChunkWriter();
  for (const _ of writeExposition(families, writer, ahead?.texts ?? new LabelTexts(), usable(families, ahead)));
  return writer.finish();
}

function usable(families: readonly MetricFamily[], ahead: Ahead | undefined): Map<MetricFamily, PreRendered> | undefined {
  return ahead === undefined ? undefined : usableAhead(families, ahead.parts);
}

/**
 * The same body, rendered a slice at a time with a turn of the event loop in between, each chunk handed to `onSeal`
 * once complete: a compressor fed from there works on the thread pool while the rest is rendered. `ahead`: work done
 * ahead for some of these families.
 */
export async function renderExpositionBodySliced(
  families: readonly MetricFamily[],
  onSeal: (chunk: Buffer) => void,
  ahead?: Ahead,
): Promise<Body> {
  const writer = new ChunkWriter(onSeal);
  for (const _ of writeExposition(families, writer, ahead?.texts ?? new LabelTexts(), usable(families, ahead))) await nextTurn();
  return writer.finish();
}
