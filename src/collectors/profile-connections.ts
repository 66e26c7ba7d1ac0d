/** Provider connections per M3U profile (gate include_m3u_stats): in use, limit, and usage ratio. */
import { gauge, sample } from '../exposition/family.js';
import { partValue, type M3uProfile } from '../snapshot.js';
import type { Collector } from './collector.js';
import { connectionsByProfile, liveStreams } from './live-view.js';
import { profileLabels } from './profiles.js';
import { derived } from './units.js';

export const profileConnectionsCollector: Collector = {
  name: 'profile_connections',
  needs: ['profiles', 'live', 'liveJoin'],
  gate: 'include_m3u_stats',
  collect(snapshot) {
    const profiles = partValue(snapshot, 'profiles').filter((p) => !p.accountLocked);
    const counts = connectionsByProfile(liveStreams(snapshot), partValue(snapshot, 'live'));
    const used = (p: M3uProfile) => counts.get(p.id) ?? 0;
    return [
      gauge(
        'dispatcharr_profile_connections',
        'Provider connections in use on the M3U profile: live channels plus VOD sessions streaming through it',
        profiles.map((p) => sample(used(p), profileLabels(p))),
      ),
      gauge(
        'dispatcharr_profile_max_connections',
        'Connection limit of the M3U profile (0 = unlimited)',
        profiles.map((p) => sample(p.maxStreams, profileLabels(p))),
      ),
      gauge(
        'dispatcharr_profile_connection_usage',
        'Connections in use divided by the limit, for profiles with a limit (1 = full; above 1 = over the limit)',
        profiles.filter((p) => p.maxStreams > 0).map((p) => sample(derived(used(p) / p.maxStreams), profileLabels(p))),
      ),
    ];
  },
};
