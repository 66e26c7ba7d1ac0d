/**
 * Deterministic randomness for the demo: a seeded generator whose sequence depends only on its seed, and a
 * stateless hash for choices that must not depend on how far the generator has been drawn (programme grids).
 */

/** Mixes 32-bit integers into one well-spread 32-bit value (multiply-xorshift rounds). */
function mix(...values: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ (value | 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** A number in [0, 1) determined by `values` alone. */
export function hashUnit(...values: readonly number[]): number {
  return mix(...values) / 2 ** 32;
}

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = mix(seed) || 1;
  }

  /** A number in [0, 1): a 32-bit xorshift step, scrambled so low bits are as good as high ones. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0 || 1;
    return mix(this.state) / 2 ** 32;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** A number in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A whole number in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** An item chosen with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    const total = items.reduce((sum, item) => sum + weight(item), 0);
    let point = this.next() * total;
    for (const item of items) {
      point -= weight(item);
      if (point < 0) return item;
    }
    return this.pick(items);
  }

  /** A duration with an exponential distribution of mean `mean`, kept within [low, high]. */
  duration(mean: number, low: number, high: number): number {
    return Math.min(high, Math.max(low, -mean * Math.log(1 - this.next())));
  }

  /** `count` hex digits. */
  hex(count: number): string {
    let text = '';
    for (let i = 0; i < count; i++) text += Math.floor(this.next() * 16).toString(16);
    return text;
  }
}
