/**
 * A simulated busy Dispatcharr, advanced in fixed steps of simulated time: viewers tune in and leave, channels
 * start for their first viewer and stop a little after their last, streams fail over to their backups now and
 * then, ffmpeg falls behind for a while, VOD sessions come and go. Everything random comes from one seeded
 * generator drawn only by the steps, so the state at a given time depends on the seed and the start alone,
 * however often it is looked at.
 */
import { ProfilePool } from './connections.js';
import { DemoEventLog } from './events.js';
import { type Flow, streamBytesPerSecond } from './flows.js';
import { Random } from './random.js';
import { VodSessions } from './vod-sessions.js';
import { CHANNELS, type DemoChannel } from './world-channels.js';
import { type Household, HOUSEHOLDS, WORKERS } from './world-people.js';

const STEP_SECONDS = 5;
/** Simulated time before the start, so the first scrape already sees a busy evening. */
const WARM_UP_SECONDS = 1800;
/** Dispatcharr keeps a channel without viewers this long before stopping it. */
const SHUTDOWN_DELAY_SECONDS = 10;
/** Per step: a new viewer tunes in; another one at once. */
const ARRIVAL_CHANCE = 0.3;
const SECOND_ARRIVAL_CHANCE = 0.06;
/** Per live channel and step: its stream fails and it moves to the next in its list (about once an hour). */
const FAILOVER_CHANCE = 1 / 720;
/** Per live channel and step: ffmpeg starts falling behind real time for a while. */
const SLOW_CHANCE = 1 / 1440;
/** Per step: someone logs in to Dispatcharr's web interface; someone mistypes a password. */
const LOGIN_CHANCE = 1 / 120;
const FAILED_LOGIN_CHANCE = 1 / 600;
/** A flaky channel reconnects every this many steps (two minutes), first in the first step after the start. */
const RECONNECT_EVERY_STEPS = 24;

export interface DemoClient {
  readonly id: string;
  readonly household: Household;
  readonly workerId: string;
  readonly connectedAt: number;
  readonly leavesAt: number;
  readonly flow: Flow;
}

export interface DemoLiveChannel {
  readonly channel: DemoChannel;
  readonly startedAt: number;
  readonly flow: Flow;
  /** Place of the playing stream in the channel's list. */
  position: number;
  profileId: string;
  /** When it last moved to another stream, or null if it never did. */
  switchedAt: number | null;
  clients: DemoClient[];
  /** When its last viewer left, while it has none. */
  idleSince: number | null;
  /** Until when ffmpeg falls behind real time. */
  slowUntil: number;
}

export interface DemoOptions {
  /** Seeds every random choice: the same seed and start give the same simulation. */
  readonly seed: number;
  /** Epoch seconds: the demo's "now" when it starts (expiries and event counts are relative to it). */
  readonly start: number;
}

export class DemoSimulation {
  readonly start: number;
  private readonly pool: ProfilePool;
  readonly events: DemoEventLog;
  readonly vod: VodSessions;
  private readonly random: Random;
  /** Live channels by channel id, in the order they started. */
  private readonly live = new Map<string, DemoLiveChannel>();
  private nextStep: number;
  /** Steps run since the start (negative during the warm-up). */
  private stepsSinceStart = -WARM_UP_SECONDS / STEP_SECONDS;

  constructor(options: DemoOptions) {
    this.start = options.start;
    this.random = new Random(options.seed);
    this.pool = new ProfilePool(options.start);
    this.events = new DemoEventLog(options.start);
    this.vod = new VodSessions(this.random, this.pool, this.events);
    const begin = options.start - WARM_UP_SECONDS;
    for (const channel of CHANNELS) if (channel.pinned) this.startPinned(channel, begin);
    this.nextStep = begin;
    this.advanceTo(options.start);
  }

  /** Runs every step due by `time` (epoch seconds); a time before the last step changes nothing. */
  advanceTo(time: number): void {
    while (this.nextStep <= time) {
      this.step(this.nextStep);
      this.nextStep += STEP_SECONDS;
      this.stepsSinceStart++;
    }
  }

  /** The live channels, in channel order (unnumbered last). */
  liveChannels(): DemoLiveChannel[] {
    return [...this.live.values()].sort((a, b) => (a.channel.number ?? Infinity) - (b.channel.number ?? Infinity));
  }

  private step(time: number): void {
    for (const live of this.live.values()) this.dropLeavers(live, time);
    for (const live of [...this.live.values()]) {
      if (live.channel.pinned) continue;
      if (live.idleSince !== null && time - live.idleSince >= SHUTDOWN_DELAY_SECONDS) this.stop(live, time);
      else if (this.random.chance(FAILOVER_CHANCE)) this.failOver(live, time);
    }
    for (const live of this.live.values()) {
      if (live.channel.flaky && this.stepsSinceStart % RECONNECT_EVERY_STEPS === 1) {
        this.events.record('channel_reconnect', time - 0.5, live.channel);
      }
      if (live.slowUntil <= time && live.channel.streamProfile.reports !== 'nothing' && this.random.chance(SLOW_CHANCE)) {
        live.slowUntil = time + this.random.between(60, 240);
        this.events.record('channel_buffering', time, live.channel);
      }
    }
    if (this.random.chance(ARRIVAL_CHANCE)) this.tuneIn(time);
    if (this.random.chance(SECOND_ARRIVAL_CHANCE)) this.tuneIn(time);
    this.vod.step(time);
    if (this.random.chance(LOGIN_CHANCE)) this.events.record('login_success', time);
    if (this.random.chance(FAILED_LOGIN_CHANCE)) this.events.record('login_failed', time);
  }

  /** A moment within the step that ends at `time`: events are never stamped after the step that made them. */
  private during(time: number): number {
    return time - this.random.between(0.5, STEP_SECONDS);
  }

  private startPinned(channel: DemoChannel, begin: number): void {
    const pinned = channel.pinned;
    if (!pinned) return;
    this.pool.hold(pinned.profileId);
    const startedAt = begin - this.random.between(3600, 5 * 3600);
    const live = this.newLive(channel, startedAt, pinned.position, pinned.profileId);
    // Started on its primary, which gave up soon after.
    if (pinned.position > 0) live.switchedAt = startedAt + this.random.between(20, 90);
    live.clients.push(this.client(live, this.random.pick(HOUSEHOLDS), startedAt + 0.2, Infinity));
  }

  private newLive(channel: DemoChannel, startedAt: number, position: number, profileId: string): DemoLiveChannel {
    const flow = { bytesPerSecond: streamBytesPerSecond(channel.video.kbps), phase: this.random.between(0, 2 * Math.PI) };
    const live: DemoLiveChannel = {
      channel,
      startedAt,
      flow,
      position,
      profileId,
      switchedAt: null,
      clients: [],
      idleSince: null,
      slowUntil: 0,
    };
    this.live.set(channel.id, live);
    this.events.record('channel_start', startedAt, channel);
    return live;
  }

  private client(live: DemoLiveChannel, household: Household, connectedAt: number, leavesAt: number): DemoClient {
    const id = `client_${Math.floor(connectedAt * 1000)}_${this.random.int(1000, 9999)}`;
    const flow = { bytesPerSecond: live.flow.bytesPerSecond, phase: this.random.between(0, 2 * Math.PI) };
    this.events.record('client_connect', connectedAt);
    return { id, household, workerId: this.random.pick(WORKERS), connectedAt, leavesAt, flow };
  }

  /** A viewer picks a channel by its popularity; the channel starts if it is not live and a connection is free. */
  private tuneIn(time: number): void {
    const channel = this.random.weighted(CHANNELS, (c) => c.popularity);
    const household = this.random.pick(HOUSEHOLDS);
    const at = this.during(time);
    const stay = this.random.chance(0.3) ? this.random.duration(480, 60, 5400) : this.random.duration(60, 10, 900);
    const live = this.live.get(channel.id) ?? this.startChannel(channel, at);
    // Every provider of the channel is full or unavailable: Dispatcharr turns the viewer away.
    if (!live) return;
    const connectedAt = Math.max(at, live.startedAt) + 0.2;
    live.clients.push(this.client(live, household, connectedAt, connectedAt + stay));
    live.idleSince = null;
  }

  /** Like Dispatcharr, the first stream of the list whose provider has a connection free; undefined when none has. */
  private startChannel(channel: DemoChannel, at: number): DemoLiveChannel | undefined {
    for (const [position, stream] of channel.streams.entries()) {
      const profileId = this.pool.take(stream.accountId, at);
      if (profileId !== undefined) return this.newLive(channel, at, position, profileId);
    }
    return undefined;
  }

  private dropLeavers(live: DemoLiveChannel, time: number): void {
    const staying = live.clients.filter((c) => c.leavesAt > time);
    for (const client of live.clients) if (client.leavesAt <= time) this.events.record('client_disconnect', client.leavesAt);
    live.clients = staying;
    if (staying.length === 0) live.idleSince ??= time;
  }

  private stop(live: DemoLiveChannel, time: number): void {
    this.pool.release(live.profileId);
    this.live.delete(live.channel.id);
    this.events.record('channel_stop', time, live.channel);
  }

  /** The playing stream gives up: the channel moves to the next stream in its list that can get a connection. */
  private failOver(live: DemoLiveChannel, time: number): void {
    const at = this.during(time);
    const streams = live.channel.streams;
    for (let position = live.position + 1; position < streams.length; position++) {
      const profileId = this.pool.take(streams[position]?.accountId ?? '', at);
      if (profileId === undefined) continue;
      this.pool.release(live.profileId);
      live.position = position;
      live.profileId = profileId;
      live.switchedAt = at;
      this.events.record('channel_failover', at, live.channel);
      return;
    }
  }
}
