/**
 * The demo's VOD sessions: a few people always watching a film or an episode, pausing now and then (the session
 * stays, with no open response), each session holding a connection of its title's provider while it lasts.
 */
import type { ProfilePool } from './connections.js';
import type { DemoEventLog } from './events.js';
import { type Flow, streamBytesPerSecond } from './flows.js';
import type { Random } from './random.js';
import { type DemoTitle, type Household, HOUSEHOLDS, TITLES, WORKERS } from './world-people.js';

/** Sessions the demo keeps at least; more start now and then. */
const MIN_SESSIONS = 2;
const START_CHANCE = 0.02;
/** Per streaming session and step: the viewer pauses for a while. */
const PAUSE_CHANCE = 0.01;

export interface DemoVodSession {
  readonly id: string;
  readonly title: DemoTitle;
  readonly household: Household;
  readonly workerId: string;
  readonly profileId: string;
  readonly createdAt: number;
  readonly endsAt: number;
  readonly flow: Flow;
  pausedFrom: number;
  pausedUntil: number;
}

/** Whether the session has an open response (is streaming) at `time`. */
export function streaming(session: DemoVodSession, time: number): boolean {
  return !(session.pausedFrom <= time && time < session.pausedUntil);
}

function titleKbps(title: DemoTitle): number {
  if (title.kind === 'episode') return 3000;
  const height = Number(title.video[2]);
  return height >= 2160 ? 15_000 : height >= 1080 ? 5000 : 2500;
}

export class VodSessions {
  private sessions: DemoVodSession[] = [];

  constructor(
    private readonly random: Random,
    private readonly pool: ProfilePool,
    private readonly events: DemoEventLog,
  ) {}

  list(): readonly DemoVodSession[] {
    return this.sessions;
  }

  step(time: number): void {
    for (const session of this.sessions) {
      if (session.endsAt > time) continue;
      this.pool.release(session.profileId);
      this.events.record('vod_stop', session.endsAt);
    }
    this.sessions = this.sessions.filter((s) => s.endsAt > time);
    for (const session of this.sessions) {
      if (streaming(session, time) && this.random.chance(PAUSE_CHANCE)) {
        session.pausedFrom = time;
        session.pausedUntil = time + this.random.between(30, 180);
      }
    }
    if (this.sessions.length < MIN_SESSIONS)
      this.begin(
        time,
        TITLES.filter((t) => this.pool.hasRoom(t.accountId, time)),
      );
    else if (this.random.chance(START_CHANCE)) this.begin(time, TITLES);
  }

  /** Someone starts one of `titles`; it fails if its provider has no connection free. */
  private begin(time: number, titles: readonly DemoTitle[]): void {
    if (titles.length === 0) return;
    const title = this.random.pick(titles);
    const household = this.random.pick(HOUSEHOLDS);
    const createdAt = time - this.random.between(0.5, 5);
    const watch = this.random.duration(1200, 120, title.durationSecs);
    const phase = this.random.between(0, 2 * Math.PI);
    const serial = this.random.int(1000, 9999);
    const workerId = this.random.pick(WORKERS);
    const profileId = this.pool.take(title.accountId, createdAt);
    // The title's provider has no connection free: the player shows an error and the viewer gives up.
    if (profileId === undefined) return;
    this.sessions.push({
      id: `vod_${Math.floor(createdAt * 1000)}_${serial}`,
      title,
      household,
      workerId,
      profileId,
      createdAt,
      endsAt: createdAt + watch,
      flow: { bytesPerSecond: streamBytesPerSecond(titleKbps(title)), phase },
      pausedFrom: 0,
      pausedUntil: 0,
    });
    this.events.record('vod_start', createdAt);
  }
}
