/** EPG sources (gate include_epg_stats). Dummy sources are generated on the fly and not counted. */
import type { Settings } from '../config/settings.js';
import { gauge, sample, type MetricFamily } from '../exposition/family.js';
import { redactUrl } from '../redact.js';
import { partValue, type EpgSource } from '../snapshot.js';
import { boolLabel, type Collector } from './collector.js';
import { countByStatus } from './status-counts.js';

/** Dispatcharr's EPGSource.status choices, in declaration order. */
export const EPG_STATUSES = ['idle', 'fetching', 'parsing', 'error', 'success', 'disabled'] as const;

function sourceLabels(source: EpgSource, settings: Settings, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = {
    source_id: source.id,
    source_name: source.name,
    source_type: source.sourceType || 'unknown',
    status: source.status,
    is_active: boolLabel(source.isActive),
    ...extra,
  };
  if (settings.include_source_urls && source.url) labels['url'] = redactUrl(source.url);
  return labels;
}

export const epgCollector: Collector = {
  name: 'epg',
  needs: ['epgSources'],
  gate: 'include_epg_stats',
  collect(snapshot, settings) {
    const sources = partValue(snapshot, 'epgSources');
    const families: MetricFamily[] = [
      gauge('dispatcharr_epg_sources', 'EPG sources other than dummy ones (status="total": all, status="active": enabled)', [
        sample(sources.length, { status: 'total' }),
        sample(sources.filter((s) => s.isActive).length, { status: 'active' }),
      ]),
      gauge('dispatcharr_epg_source_status', 'EPG sources other than dummy ones per refresh status', countByStatus(sources, EPG_STATUSES)),
      gauge(
        'dispatcharr_epg_source_priority',
        'Priority of the EPG source: when several sources match a channel, Dispatcharr uses the one with the higher value',
        sources.map((s) => sample(s.priority, sourceLabels(s, settings))),
      ),
    ];
    if (settings.include_legacy_metrics) {
      families.push(
        gauge(
          'dispatcharr_epg_source_info',
          'Deprecated: EPG source with its priority as a label (value always 1); use dispatcharr_epg_source_priority',
          sources.map((s) => sample(1, sourceLabels(s, settings, { priority: String(s.priority) }))),
        ),
      );
    }
    return families;
  },
};
