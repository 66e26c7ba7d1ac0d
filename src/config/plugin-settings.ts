/**
 * Plugin mode: the settings a user saves on Dispatcharr's Plugins page. The include_* switches and
 * base_url apply on the next scrape; host and port need a restart (the listening socket is bound once).
 */
import type { Settings } from './settings.js';

const LIVE_KEYS = [
  'include_m3u_stats',
  'include_epg_stats',
  'include_vod_stats',
  'include_client_stats',
  'include_source_urls',
  'include_legacy_metrics',
] as const;

/** Dispatcharr stores JSON booleans; older UIs and hand edits may leave strings or numbers. */
function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(word)) return true;
    if (['false', '0', 'no', 'off', ''].includes(word)) return false;
  }
  return undefined;
}

/** Overlays the saved plugin settings on the start-up settings; values it cannot read are ignored. */
export function applyPluginSettings(base: Settings, saved: unknown): Settings {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return base;
  const stored = saved as Record<string, unknown>;
  const next: { -readonly [K in keyof Settings]: Settings[K] } = { ...base };
  for (const key of LIVE_KEYS) {
    const value = toBoolean(stored[key]);
    if (value !== undefined) next[key] = value;
  }
  const baseUrl = stored['base_url'];
  if (typeof baseUrl === 'string' && (baseUrl.trim() === '' || /^https?:\/\/\S+$/.test(baseUrl.trim()))) {
    next.base_url = baseUrl.trim().replace(/\/+$/, '');
  }
  return next;
}
