/** The shape every collector has: a pure function from a snapshot and the settings to metric families. */
import type { Settings } from '../config/settings.js';
import type { MetricFamily } from '../exposition/family.js';
import type { PartName, Snapshot } from '../snapshot.js';

export interface Collector {
  /** Value of the `collector` label of the self metrics. */
  readonly name: string;
  /** Snapshot parts it reads; only parts that an enabled collector needs are read. */
  readonly needs: readonly PartName[];
  enabled(settings: Settings): boolean;
  collect(snapshot: Snapshot, settings: Settings): MetricFamily[];
}

export const always = (): boolean => true;

export function boolLabel(value: boolean): string {
  return value ? 'true' : 'false';
}
