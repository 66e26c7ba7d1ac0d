/**
 * Plugin mode: the settings a user saves on Dispatcharr's Plugins page. Those the option table marks
 * `applies: 'scrape'` (the include_* switches, base_url) apply on the next scrape; the others need a
 * restart (the listening socket is bound once) and reach the exporter on its command line.
 */
import { ConfigError } from './errors.js';
import { PLUGIN_OPTIONS } from './options.js';
import type { Settings } from './settings.js';
import { PARSERS } from './values.js';

const SCRAPE_OPTIONS = PLUGIN_OPTIONS.filter((spec) => spec.plugin.applies === 'scrape');

/** Dispatcharr stores JSON values; older UIs and hand edits may leave strings or numbers. An empty text is false. */
function asText(value: unknown, kind: string): string | undefined {
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  return kind === 'boolean' && value.trim() === '' ? 'false' : value;
}

/** Overlays the saved plugin settings on the start-up settings; values it cannot read are ignored. */
export function applyPluginSettings(base: Settings, saved: unknown): Settings {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return base;
  const stored = saved as Record<string, unknown>;
  const next: Record<string, unknown> = { ...base };
  for (const spec of SCRAPE_OPTIONS) {
    const text = asText(stored[spec.key], spec.kind);
    if (text === undefined) continue;
    try {
      next[spec.key] = PARSERS[spec.kind]({ key: spec.key, value: text, origin: 'the Plugins page' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  }
  return next as unknown as Settings;
}
