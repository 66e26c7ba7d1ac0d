/** Where each scrape gets its settings: fixed at start, or (plugin mode) re-read from Dispatcharr's database. */
import { applyPluginSettings } from '../config/plugin-settings.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log.js';
import { readPluginSettings } from '../sources/dispatcharr-db.js';
import type { Queryable } from '../sources/postgres.js';
import { withDeadline } from './deadline.js';
import { errorMessage } from '../error-message.js';

export interface SettingsSource {
  /** The settings for a new collection; never rejects. */
  read(deadline: number): Promise<Settings>;
  /** The settings last read, for a request that cannot wait for the read in flight. */
  current(): Settings;
}

export function fixedSettings(settings: Settings): SettingsSource {
  return { read: () => Promise.resolve(settings), current: () => settings };
}

/** The start-up settings with the Plugins page's saved switches on top; the last good ones when the read fails. */
export function pluginSettings(db: Queryable, key: string, base: Settings, logger: Logger): SettingsSource {
  let last = base;
  return {
    async read(deadline) {
      try {
        last = applyPluginSettings(base, await withDeadline(readPluginSettings(db, key), deadline, 'plugin settings'));
      } catch (error) {
        logger.debug('could not read the plugin settings; keeping the last ones', { error: errorMessage(error) });
      }
      return last;
    },
    current: () => last,
  };
}
