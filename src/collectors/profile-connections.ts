/** Provider connections per M3U profile (gate include_m3u_stats): in use, limit, and usage ratio. */
import { gauge, type Sample, sample } from '../exposition/family.js';
import { partValue } from '../snapshot.js';
import type { Collector } from './collector.js';
import { connectionsByProfile, liveStreams } from './live-view.js';
import { profileLabels } from './profiles.js';
import { derived } from './units.js';

export const profileConnectionsCollector: Collector = {
  name: 'profile_connections',
  needs: ['profiles', 'live', 'liveJoin'],
  gate: 'include_m3u_stats',
  collect(snapshot) {
    const counts = connectionsByProfile(liveStreams(snapshot), partValue(snapshot, 'live'));
    const inUse: Sample[] = [];
    const limits: Sample[] = [];
    const usage: Sample[] = [];
    for (const p of partValue(snapshot, 'profiles')) {
      if (p.accountLocked) continue;
      const used = counts.get(p.id) ?? 0;
      // One label set for the three families: the rendering makes its text once.
      const labels = profileLabels(p);
      inUse.push(sample(used, labels));
      limits.push(sample(p.maxStreams, labels));
      if (p.maxStreams > 0) usage.push(sample(derived(used / p.maxStreams), labels));
    }
    return [
      gauge(
        'dispatcharr_profile_connections',
        'Provider connections in use on the M3U profile: live channels plus VOD sessions streaming through it',
        inUse,
      ),
      gauge('dispatcharr_profile_max_connections', 'Connection limit of the M3U profile (0 = unlimited)', limits),
      gauge(
        'dispatcharr_profile_connection_usage',
        'Connections in use divided by the limit, for profiles with a limit (1 = full; above 1 = over the limit)',
        usage,
      ),
    ];
  },
};
