/**
 * The text of each label set a rendering writes, `{a="1",b="2"}`. Collectors hand one label set to several families
 * (a stream's, a client's), so each set is rendered once, and sets with the same text share one record: a record
 * written twice in one block (family) is a repeated series.
 */
import type { Labels } from './family.js';

const LABEL_SPECIALS = /[\\"\n]/;
const LABEL_SPECIALS_ALL = /[\\"\n]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' };
const escapeOne = (special: string): string => ESCAPES[special] ?? special;

/** Backslash, double quote and line feed escaped; most values hold none, and are returned as they are. */
export function escapeLabelValue(value: string): string {
  return LABEL_SPECIALS.test(value) ? value.replace(LABEL_SPECIALS_ALL, escapeOne) : value;
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
/** The first label's value as renderLabels last wrote it (rendering is synchronous), or '' without labels. */
let firstValue = '';

/** ES2024's String.prototype.isWellFormed and toWellFormed (Node 20 has them; the project's lib is ES2023). */
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * `{a="1",b="2"}`, or '' without labels. Joined from its parts rather than concatenated: concatenation leaves a
 * chain of intermediate strings per label, and the label sets of a large installation then made most of a
 * rendering's garbage. A lone surrogate is U+FFFD in the text, as UTF-8 writes it on the wire: two sets that differ
 * only there are the same series, and must be found as one. Leaves the first value, as the text has it, in
 * `firstValue`.
 */
function renderLabels(labels: Labels): string {
  let n = 0;
  for (const name in labels) {
    const [first, next] = opener(name);
    parts[n] = n === 0 ? first : next;
    parts[n + 1] = escapeLabelValue(labels[name] ?? '');
    n += 2;
  }
  if (n === 0) {
    firstValue = '';
    return '';
  }
  firstValue = parts[1] as string;
  parts[n] = '"}';
  parts.length = n + 1;
  const text = parts.join('') as string & WellFormed;
  if (text.isWellFormed()) return text;
  // The text's first value is made well formed on its own: the quotes around it cannot pair with a surrogate.
  firstValue = (firstValue as string & WellFormed).toWellFormed();
  return text.toWellFormed();
}

/** A rendered label set, and the block (family) it was last written in. */
export interface LabelText {
  readonly text: string;
  block: number;
}

/**
 * The records whose texts start with the same first value: one record, a few (compared by text), or, once there are
 * more than BUCKET_LIST_MAX, a map by text, so that many sets sharing a first value cannot make the search quadratic.
 */
type Bucket = LabelText | LabelText[] | Map<string, LabelText>;
const BUCKET_LIST_MAX = 8;

export class LabelTexts {
  private readonly bySet = new Map<Labels, LabelText>();
  /**
   * Records by their first label value. Sets with the same text have the same first value, so a text is looked for
   * among the few records that share it, not by the whole text: hashing every text (2 million characters on a large
   * installation) was a fifth of the time spent on label sets.
   */
  private readonly byFirstValue = new Map<string, Bucket>();
  private blocks = 0;

  /** The record of a label set: looked up among the texts already rendered on first sight of the set. */
  of(labels: Labels): LabelText {
    let record = this.bySet.get(labels);
    if (record === undefined) {
      const text = renderLabels(labels);
      record = this.withText(firstValue, text);
      this.bySet.set(labels, record);
    }
    return record;
  }

  /** A block number these texts never gave before, so a second rendering with them finds no record written in it. */
  newBlock(): number {
    return ++this.blocks;
  }

  /** The record with this text, made if there is none yet. */
  private withText(key: string, text: string): LabelText {
    const bucket = this.byFirstValue.get(key);
    if (bucket === undefined) {
      const record = { text, block: 0 };
      this.byFirstValue.set(key, record);
      return record;
    }
    if (bucket instanceof Map) {
      let record = bucket.get(text);
      if (record === undefined) {
        record = { text, block: 0 };
        bucket.set(text, record);
      }
      return record;
    }
    if (!Array.isArray(bucket)) {
      if (bucket.text === text) return bucket;
      const record = { text, block: 0 };
      this.byFirstValue.set(key, [bucket, record]);
      return record;
    }
    for (const other of bucket) if (other.text === text) return other;
    const record = { text, block: 0 };
    if (bucket.length < BUCKET_LIST_MAX) bucket.push(record);
    else this.byFirstValue.set(key, new Map([...bucket, record].map((r) => [r.text, r])));
    return record;
  }
}
