/** VOD families (gate include_vod_stats), from the connection records Dispatcharr's VOD proxy keeps in Redis. */
import { gauge, sample } from '../exposition/family.js';
import { partValue } from '../snapshot.js';
import type { Collector } from './collector.js';
import { parseNumber } from './live-view.js';

export const vodCollector: Collector = {
  name: 'vod',
  needs: ['live'],
  gate: 'include_vod_stats',
  collect(snapshot) {
    const sessions = partValue(snapshot, 'live').vodSessions;
    let active = 0;
    for (const session of sessions) active += Math.max(0, Math.trunc(parseNumber(session.fields.active_streams) ?? 0));
    return [
      gauge('dispatcharr_vod_sessions', 'VOD playback sessions Dispatcharr tracks (vod_persistent_connection records)', [
        sample(sessions.length),
      ]),
      gauge('dispatcharr_vod_active_streams', 'Open VOD responses being streamed, summed over sessions', [sample(active)]),
    ];
  },
};
