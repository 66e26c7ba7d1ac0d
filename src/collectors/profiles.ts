/** Provider (M3U account) profiles: expiry of XC subscriptions (gate include_m3u_stats). */
import { gauge, sample } from '../exposition/family.js';
import { partValue, type M3uProfile } from '../snapshot.js';
import type { Collector } from './collector.js';

const SECONDS_PER_DAY = 86_400;

/** The labels every per-profile family carries, as the original plugin named them. */
export function profileLabels(profile: M3uProfile): Record<string, string> {
  return { profile_id: profile.id, profile_name: profile.name, account_name: profile.accountName };
}

export const profilesCollector: Collector = {
  name: 'profiles',
  needs: ['profiles'],
  gate: 'include_m3u_stats',
  collect(snapshot) {
    const expiring = partValue(snapshot, 'profiles').filter(
      (p): p is M3uProfile & { expiresAt: number } => !p.accountLocked && p.accountType === 'XC' && p.expiresAt !== null,
    );
    return [
      gauge(
        'dispatcharr_profile_days_to_expiry',
        'Whole days until the XC provider subscription of the profile expires (0 = less than a day left, negative = expired); absent when the provider gives no expiry',
        expiring.map((p) => sample(Math.floor((p.expiresAt - snapshot.time) / SECONDS_PER_DAY), profileLabels(p))),
      ),
      gauge(
        'dispatcharr_profile_expiry_timestamp_seconds',
        'Unix time at which the XC provider subscription of the profile expires',
        expiring.map((p) => sample(p.expiresAt, profileLabels(p))),
      ),
    ];
  },
};
