/** Dispatcharr and exporter identity: always on. */
import type { Settings } from '../config/settings.js';
import { gauge, sample } from '../exposition/family.js';
import { redactUrl } from '../redact.js';
import { always, boolLabel, type Collector } from './collector.js';

export interface ExporterIdentity {
  readonly version: string;
  readonly accessLog: boolean;
}

/** The seed's label set and order, so existing series keep their identity. */
function settingsLabels(settings: Settings, identity: ExporterIdentity): Record<string, string> {
  return {
    auto_start: boolLabel(settings.auto_start),
    suppress_access_logs: boolLabel(!identity.accessLog),
    // This exporter never checks for updates, so notifications are always off.
    disable_update_notifications: 'true',
    port: String(settings.port),
    host: settings.host,
    base_url: redactUrl(settings.base_url),
    include_m3u_stats: boolLabel(settings.include_m3u_stats),
    include_epg_stats: boolLabel(settings.include_epg_stats),
    include_vod_stats: boolLabel(settings.include_vod_stats),
    include_client_stats: boolLabel(settings.include_client_stats),
    include_source_urls: boolLabel(settings.include_source_urls),
    include_legacy_metrics: boolLabel(settings.include_legacy_metrics),
  };
}

export function coreCollector(identity: ExporterIdentity): Collector {
  return {
    name: 'core',
    needs: [],
    enabled: always,
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
