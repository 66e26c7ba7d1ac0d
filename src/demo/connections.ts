/**
 * Provider connections held per M3U profile. Like Dispatcharr, a new stream takes the first profile of its
 * account with a free connection, never more than a profile's limit, and nothing from an account that is
 * disabled or whose subscription is over.
 */
import { ACCOUNTS, type DemoProfile, PROFILES } from './world-providers.js';

export class ProfilePool {
  private readonly used = new Map<string, number>();

  /** `start`: the demo's start, epoch seconds, against which the profiles' expiries are given. */
  constructor(private readonly start: number) {}

  inUse(profileId: string): number {
    return this.used.get(profileId) ?? 0;
  }

  /** Whether the account has a connection free at `time`. */
  hasRoom(accountId: string, time: number): boolean {
    return this.freeProfile(accountId, time) !== undefined;
  }

  /** Takes a connection on the account's first profile with one free at `time`; undefined when none is. */
  take(accountId: string, time: number): string | undefined {
    const profile = this.freeProfile(accountId, time);
    if (profile) this.hold(profile.id);
    return profile?.id;
  }

  /** Takes a connection on this very profile, whatever its limit (the demo's always-on channels). */
  hold(profileId: string): void {
    this.used.set(profileId, this.inUse(profileId) + 1);
  }

  release(profileId: string): void {
    const count = this.inUse(profileId);
    if (count <= 1) this.used.delete(profileId);
    else this.used.set(profileId, count - 1);
  }

  private freeProfile(accountId: string, time: number): DemoProfile | undefined {
    const account = ACCOUNTS.find((a) => a.id === accountId);
    return account?.isActive ? PROFILES.find((p) => p.accountId === accountId && this.open(p, time)) : undefined;
  }

  private open(profile: DemoProfile, time: number): boolean {
    const expired = profile.expiresIn !== null && this.start + profile.expiresIn <= time;
    const full = profile.maxStreams > 0 && this.inUse(profile.id) >= profile.maxStreams;
    return !expired && !full;
  }
}
