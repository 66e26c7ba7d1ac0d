/**
 * The live counts Redis alone can give, for scrapes in which the database cannot be asked: how many channels
 * play and how many clients watch. When the streams and clients collectors succeed they come first and their
 * samples win (the exposition keeps the first of identical series); this one only fills in when they fail.
 * Without the database a channel deleted from it is still counted, as long as Redis holds its metadata.
 */
import type { MetricFamily } from '../exposition/family.js';
import { gauge, sample } from '../exposition/family.js';
import { partValue } from '../snapshot.js';
import type { Collector } from './collector.js';
import { vodStreams } from './live-view.js';

export const liveCountsCollector: Collector = {
  name: 'live_counts',
  needs: ['live'],
  collect(snapshot, settings) {
    const live = partValue(snapshot, 'live');
    const channels = live.channels.length;
    const v3 = settings.metrics_layout === 'v3';
    const vod = v3 ? vodStreams(snapshot).length : 0;
    const help = 'Streams Dispatcharr serves now, counted from Redis alone while the database cannot be asked';
    const families: MetricFamily[] = [
      gauge(
        'dispatcharr_active_streams',
        help,
        v3 ? [sample(channels + vod), sample(channels, { type: 'live' }), sample(vod, { type: 'vod' })] : [sample(channels)],
      ),
    ];
    if (settings.include_client_stats) {
      let clients = vod;
      for (const channel of live.channels) clients += channel.clients.length;
      families.push(
        gauge('dispatcharr_active_clients', 'Clients watching now, counted from Redis alone while the database cannot be asked', [
          sample(clients),
        ]),
      );
    }
    return families;
  },
};
