/**
 * Whether a live stream is still receiving data: when the proxy last got data from the provider, and when and why it
 * last switched streams. Published as Unix times (not ages), so `time() - ...` in PromQL stays right between scrapes.
 */
import { gauge, sample, type Sample } from '../exposition/family.js';
import type { Collector } from './collector.js';
import { channelLabels, liveStreams, parseNumber } from './live-view.js';

function timestamp(text: string | undefined): number | undefined {
  const value = parseNumber(text);
  return value !== undefined && value > 0 ? value : undefined;
}

export const streamActivityCollector: Collector = {
  name: 'stream_activity',
  needs: ['live', 'liveJoin'],
  collect(snapshot, settings) {
    const v3 = settings.metrics_layout === 'v3';
    const lastData: Sample[] = [];
    const lastSwitch: Sample[] = [];
    for (const { live, row } of liveStreams(snapshot)) {
      const labels = v3 ? { type: 'live', ...channelLabels(row) } : channelLabels(row);
      const data = timestamp(live.lastData);
      if (data !== undefined) lastData.push(sample(data, labels));
      const switched = timestamp(live.metadata.stream_switch_time);
      if (switched !== undefined)
        lastSwitch.push(sample(switched, { ...labels, reason: live.metadata.stream_switch_reason?.trim() ?? '' }));
    }
    return [
      gauge(
        'dispatcharr_stream_last_data_timestamp_seconds',
        'When the proxy last received data from the provider for the live stream, as a Unix time in seconds (Dispatcharr forgets it after 60 s without data)',
        lastData,
      ),
      gauge(
        'dispatcharr_stream_last_switch_timestamp_seconds',
        'When the live stream last switched to another stream (failover or manual change), as a Unix time in seconds, with the reason Dispatcharr recorded',
        lastSwitch,
      ),
    ];
  },
};
