/** The shape every collector has: a pure function from a snapshot and the settings to metric families. */
import type { Gate } from '../config/options.js';
import type { Settings } from '../config/settings.js';
import type { MetricFamily } from '../exposition/family.js';
import type { PartName, Snapshot } from '../snapshot.js';

export interface Collector {
  /** Value of the `collector` label of the self metrics. */
  readonly name: string;
  /** Snapshot parts it reads (they may depend on the settings); only parts that an enabled collector needs are read. */
  readonly needs: readonly PartName[] | ((settings: Settings) => readonly PartName[]);
  /** The setting that switches it on; without one it always runs. */
  readonly gate?: Gate;
  collect(snapshot: Snapshot, settings: Settings): MetricFamily[];
}

export function isEnabled(collector: Collector, settings: Settings): boolean {
  return collector.gate === undefined || settings[collector.gate];
}

export function partsNeeded(collector: Collector, settings: Settings): readonly PartName[] {
  return typeof collector.needs === 'function' ? collector.needs(settings) : collector.needs;
}

export function boolLabel(value: boolean): string {
  return value ? 'true' : 'false';
}
