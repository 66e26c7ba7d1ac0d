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
      gauge('dispatcharr_channels', 'Channels (status="total": all, status="enabled": enabled in at least one channel profile)', [
        sample(counts.total, { status: 'total' }),
        sample(counts.enabled, { status: 'enabled' }),
      ]),
      gauge('dispatcharr_channel_groups', 'Channel groups', [sample(counts.groups)]),
    ];
  },
};
