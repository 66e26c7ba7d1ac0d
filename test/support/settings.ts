/** Settings for tests, derived from the option table like the exporter's own. */
import { loadConfig } from '../../src/config/load.js';
import { GATES, optionByKey } from '../../src/config/options.js';
import type { Settings } from '../../src/config/settings.js';

/** The settings the exporter runs with when nothing is configured, with `overrides` on top. */
export function defaultSettings(overrides: Partial<Settings> = {}): Settings {
  const command = loadConfig([], {});
  if (command.kind !== 'run') throw new Error('no configuration');
  return { ...command.config.settings, ...overrides };
}

/** Flags that switch every family gate on. */
export const ALL_GATES: string[] = GATES.map((gate) => optionByKey(gate).flag);
