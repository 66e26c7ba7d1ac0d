/** Provider (M3U account) profiles: expiry of XC subscriptions (gate include_m3u_stats). */
import { gauge, type Sample, sample } from '../exposition/family.js';
import { partValue, type M3uProfile } from '../snapshot.js';
import type { Collector } from './collector.js';

const SECONDS_PER_DAY = 86_400;
/** dispatcharr_profile_days_to_expiry when the provider gives no expiry, as the original's v3 series defines it. */
export const NO_EXPIRY = -1;

/** Whole days left, floored, and 0 once expired (the original's v3 definition, which its dashboards select with `== 0`). */
export function daysToExpiry(expiresAt: number | null, now: number): number {
  return expiresAt === null ? NO_EXPIRY : Math.max(0, Math.floor((expiresAt - now) / SECONDS_PER_DAY));
}

/** The labels every per-profile family carries, as the original plugin named them. */
export function profileLabels(profile: M3uProfile): Record<string, string> {
  return { profile_id: profile.id, profile_name: profile.name, account_name: profile.accountName };
}

export const profilesCollector: Collector = {
  name: 'profiles',
  needs: ['profiles'],
  gate: 'include_m3u_stats',
  collect(snapshot) {
    const days: Sample[] = [];
    const expiry: Sample[] = [];
    for (const p of partValue(snapshot, 'profiles')) {
      if (p.accountLocked || p.accountType !== 'XC') continue;
      const labels = profileLabels(p);
      days.push(sample(daysToExpiry(p.expiresAt, snapshot.time), labels));
      if (p.expiresAt !== null) expiry.push(sample(p.expiresAt, labels));
    }
    return [
      gauge(
        'dispatcharr_profile_days_to_expiry',
        `Whole days until the XC provider subscription of the profile expires (0 = expired or less than a day left; ${NO_EXPIRY} = the provider gives no expiry)`,
        days,
      ),
      gauge(
        'dispatcharr_profile_expiry_timestamp_seconds',
        'Unix time at which the XC provider subscription of the profile expires; absent when the provider gives no expiry',
        expiry,
      ),
    ];
  },
};
