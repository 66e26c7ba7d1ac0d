/** The demo's snapshots run through the real collectors, as the exporter runs them, for the demo's unit tests. */
import { defaultCollectors, neededParts, runCollectors } from '../../src/collectors/registry.js';
import { selfFamilies } from '../../src/collectors/self.js';
import { GATES } from '../../src/config/options.js';
import type { Settings } from '../../src/config/settings.js';
import { DemoDispatcharr } from '../../src/demo/dispatcharr.js';
import type { MetricFamily } from '../../src/exposition/family.js';
import { renderExposition } from '../../src/exposition/render.js';
import { silentLogger } from '../../src/log.js';
import type { CollectorOutcome } from '../../src/collectors/registry.js';
import type { PartName, Snapshot } from '../../src/snapshot.js';
import { type ParsedFamily, parseExposition } from './exposition.js';
import { defaultSettings } from './settings.js';

export const DEMO_START = 1_800_000_000;
export const collectors = defaultCollectors({ version: '1.0.0', accessLog: false });

/** Every family switch on, legacy ones included, in one layout. */
export function everything(layout: 'v2' | 'v3'): Settings {
  return defaultSettings({ ...Object.fromEntries(GATES.map((gate) => [gate, true])), metrics_layout: layout });
}

/** Every part any collector reads, in either layout. */
export const EVERY_PART: ReadonlySet<PartName> = new Set([
  ...neededParts(collectors, everything('v2')),
  ...neededParts(collectors, everything('v3')),
]);

export function demo(seed = 7): DemoDispatcharr {
  return new DemoDispatcharr({ seed, start: DEMO_START });
}

export interface Scrape {
  readonly families: readonly MetricFamily[];
  readonly outcomes: readonly CollectorOutcome[];
  readonly parsed: Map<string, ParsedFamily>;
}

/** One scrape of a demo snapshot: the collectors' families, their outcomes, and the rendered text read back strictly. */
export function scrape(snapshot: Snapshot, settings: Settings): Scrape {
  const { families, outcomes } = runCollectors(collectors, snapshot, settings, silentLogger);
  const all = [...families, ...selfFamilies(snapshot, outcomes)];
  return { families: all, outcomes, parsed: parseExposition(renderExposition(all)) };
}

/** Snapshots every `step` seconds over `[from, to)` seconds after the start. */
export function* timeline(dispatcharr: DemoDispatcharr, from: number, to: number, step: number): Generator<Snapshot> {
  for (let t = from; t < to; t += step) yield dispatcharr.snapshot(DEMO_START + t, EVERY_PART);
}

export function samples(parsed: Map<string, ParsedFamily>, name: string): { labels: Record<string, string>; value: number }[] {
  return (parsed.get(name)?.samples ?? []).map((s) => ({ labels: s.labels, value: Number(s.value) }));
}
