/**
 * Dispatcharr's system events as counters: how often channels started, stopped, buffered, failed over, reconnected
 * or failed, clients came and went, logins failed, M3U and EPG sources refreshed, since the exporter started.
 */
import { counter, sample } from '../exposition/family.js';
import { CHANNEL_EVENT_TYPES } from '../snapshot-events.js';
import { partValue } from '../snapshot.js';
import type { Collector } from './collector.js';

export const eventsCollector: Collector = {
  name: 'events',
  needs: ['events'],
  collect(snapshot) {
    const events = partValue(snapshot, 'events');
    return [
      counter(
        'dispatcharr_events_total',
        'Events Dispatcharr recorded in its system event log since the exporter started, by type (core_systemevent)',
        Object.entries(events.byType).map(([type, count]) => sample(count, { event_type: type })),
      ),
      counter(
        'dispatcharr_channel_events_total',
        'Channel events (start, stop, buffering, failover, reconnect, error) since the exporter started, per channel that still exists',
        events.channels.flatMap((channel) =>
          CHANNEL_EVENT_TYPES.map((type) =>
            sample(channel.counts[type], { channel_uuid: channel.uuid, channel_name: channel.name, event_type: type }),
          ),
        ),
      ),
      counter(
        'dispatcharr_events_missed_total',
        'Events Dispatcharr deleted from its rolling event log (max_system_events) before the exporter could count them',
        [sample(events.missed)],
      ),
    ];
  },
};
