/** Dispatcharr and exporter identity: always on. */
import { PLUGIN_OPTIONS } from '../config/options.js';
import type { Settings } from '../config/settings.js';
import { gauge, sample } from '../exposition/family.js';
import { redactUrl } from '../redact.js';
import { boolLabel, type Collector } from './collector.js';

export interface ExporterIdentity {
  readonly version: string;
  readonly accessLog: boolean;
}

/** A setting as its label shows it: booleans as true/false, URLs without credentials. */
function settingText(value: string | number | boolean): string {
  return typeof value === 'string' ? redactUrl(value) : String(value);
}

/** The value of a label for a setting of the original plugin that this exporter does not have. */
export const UNSUPPORTED_SETTING = 'unsupported';

/**
 * One label per plugin setting, in table order, so a new setting shows here without an edit. The seed's
 * two labels for things this exporter does not set on the Plugins page follow auto_start, where the seed
 * printed them: suppress_access_logs is the real state of the access log (--access-log), and
 * disable_update_notifications says `unsupported`, since this exporter has no update check.
 */
function settingsLabels(settings: Settings, identity: ExporterIdentity): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const { key } of PLUGIN_OPTIONS) {
    labels[key] = settingText(settings[key]);
    if (key === 'auto_start') {
      labels['suppress_access_logs'] = boolLabel(!identity.accessLog);
      labels['disable_update_notifications'] = UNSUPPORTED_SETTING;
    }
  }
  return labels;
}

export function coreCollector(identity: ExporterIdentity): Collector {
  return {
    name: 'core',
    needs: [],
    collect: (snapshot, settings) => [
      gauge('dispatcharr_info', 'Dispatcharr version (value always 1)', [sample(1, { version: snapshot.dispatcharrVersion })]),
      gauge('dispatcharr_exporter_info', 'dispatcharr-exporter version (value always 1)', [sample(1, { version: identity.version })]),
      gauge('dispatcharr_exporter_settings_info', 'Settings in effect, for support (value always 1; no secrets)', [
        sample(1, settingsLabels(settings, identity)),
      ]),
      gauge('dispatcharr_exporter_port', 'TCP port the exporter listens on', [sample(settings.port)]),
    ],
  };
}
