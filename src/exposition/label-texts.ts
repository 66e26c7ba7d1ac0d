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

/** ES2024's String.prototype.isWellFormed and toWellFormed (Node 20 has them; the project's lib is ES2023). */
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * `{a="1",b="2"}`, or '' without labels. Joined from its parts rather than concatenated: concatenation leaves a
 * chain of intermediate strings per label, and the label sets of a large installation then made most of a
 * rendering's garbage. A lone surrogate is U+FFFD in the text, as UTF-8 writes it on the wire: two sets that differ
 * only there are the same series, and must be found as one.
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
  const text = parts.join('') as string & WellFormed;
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** A rendered label set, and the block (family) it was last written in. */
export interface LabelText {
  readonly text: string;
  block: number;
}

export class LabelTexts {
  private readonly bySet = new Map<Labels, LabelText>();
  private readonly byText = new Map<string, LabelText>();
  private blocks = 0;

  /** The record of a label set: looked up among the texts already rendered on first sight of the set. */
  of(labels: Labels): LabelText {
    let record = this.bySet.get(labels);
    if (record === undefined) {
      const text = renderLabels(labels);
      record = this.byText.get(text);
      if (record === undefined) {
        record = { text, block: 0 };
        this.byText.set(text, record);
      }
      this.bySet.set(labels, record);
    }
    return record;
  }

  /** A block number these texts never gave before, so a second rendering with them finds no record written in it. */
  newBlock(): number {
    return ++this.blocks;
  }
}
