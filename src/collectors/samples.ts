/**
 * Samples built from a collector's per-item figures, one loop each (README, "Hot code lives at module level"): a
 * figure is picked by name rather than by an accessor function made in every scrape.
 */
import { type Labels, type Sample, sample } from '../exposition/family.js';

/** One sample per item that has the figure, labelled with the item's `labels`. */
export function figureSamples<K extends string, T extends { readonly labels: Labels } & { readonly [P in K]?: number }>(
  items: readonly T[],
  figure: K,
): Sample[] {
  const samples: Sample[] = [];
  for (const item of items) {
    const v = item[figure];
    if (v !== undefined) samples.push(sample(v, item.labels));
  }
  return samples;
}

/** One sample of value 1 per item, labelled with the label set the item holds under `key` (an info family). */
export function infoSamples<K extends string, T extends { readonly [P in K]: Labels }>(items: readonly T[], key: K): Sample[] {
  const samples: Sample[] = [];
  for (const item of items) samples.push(sample(1, item[key]));
  return samples;
}
