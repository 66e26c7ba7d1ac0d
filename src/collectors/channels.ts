/** Channel and channel-group counts: always on. */
import { gauge, sample } from '../exposition/family.js';
import { partValue } from '../snapshot.js';
import type { Collector } from './collector.js';

export const channelsCollector: Collector = {
  name: 'channels',
  needs: ['channelCounts'],
  collect(snapshot) {
    const counts = partValue(snapshot, 'channelCounts');
    return [
      gauge(
        'dispatcharr_channels',
        'Channels (status="total": all, status="enabled": served by the default output, i.e. not hidden from output)',
        [sample(counts.total, { status: 'total' }), sample(counts.enabled, { status: 'enabled' })],
      ),
      gauge('dispatcharr_channel_groups', 'Channel groups', [sample(counts.groups)]),
      gauge(
        'dispatcharr_channel_profile_channels',
        "Channels enabled in the channel profile and not hidden from output: what the profile's M3U, EPG and HDHR outputs serve",
        counts.profiles.map((p) => sample(p.enabled, { profile_id: p.id, profile_name: p.name })),
      ),
    ];
  },
};
