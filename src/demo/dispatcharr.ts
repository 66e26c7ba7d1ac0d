/**
 * The demo's Dispatcharr: the simulation, read into snapshots of the same shape PostgreSQL and Redis give, so the
 * same collectors, renderer and HTTP server serve it. Every part of a snapshot has its builder here; a part added
 * to the snapshot fails to compile until it has one.
 */
import { SkipRecorder } from '../skips.js';
import type { ChannelProgrammes, Part, PartName, Parts, SchemaLevel, Snapshot } from '../snapshot.js';
import type { VodContent } from '../snapshot-vod.js';
import { liveJoin, liveState } from './live-parts.js';
import { programmesAt } from './programmes.js';
import { type DemoOptions, DemoSimulation } from './simulation.js';
import { streaming } from './vod-sessions.js';
import { CHANNEL_GROUPS, CHANNELS, HIDDEN_CHANNELS } from './world-channels.js';
import { joinedAt, USERS } from './world-people.js';
import { lastSuccess, refreshStatus } from './refresh.js';
import { ACCOUNTS, EPG_SOURCES, PROFILES } from './world-providers.js';

/** The Dispatcharr release the demo presents itself as; the suffix tells anyone reading dispatcharr_info or /health. */
export const DEMO_DISPATCHARR_VERSION = '0.29.0-demo';

/** The layout of Dispatcharr 0.29's database, as its migration ledger would tell it. */
const SCHEMA: SchemaLevel = {
  migrations: { accounts: 6, core: 24, dispatcharr_channels: 38, epg: 21, m3u: 19, vod: 5 },
  channelOverrides: true,
  profileExpDateColumn: true,
  groupedCoreSettings: true,
  hiddenFromOutputColumn: true,
  userStreamLimitColumn: true,
  channelTable: { rows: CHANNELS.length + HIDDEN_CHANNELS, fingerprint: `${CHANNELS.length + HIDDEN_CHANNELS} ${CHANNELS.length + 40}` },
};

type Builders = { readonly [K in PartName]: (time: number, skips: SkipRecorder) => Parts[K] };

export class DemoDispatcharr {
  private readonly simulation: DemoSimulation;

  constructor(options: DemoOptions) {
    this.simulation = new DemoSimulation(options);
  }

  /** The snapshot at `time` (epoch seconds) with the parts `needs` asks for, and those they build on. */
  snapshot(time: number, needs: ReadonlySet<PartName>): Snapshot {
    this.simulation.advanceTo(time);
    const wanted = new Set<PartName>(['database', ...needs]);
    if (['liveJoin', 'programmes', 'vodCatalogue'].some((name) => wanted.has(name as PartName))) wanted.add('live');
    const skips = new SkipRecorder();
    const parts: Partial<Record<PartName, Part<unknown>>> = {};
    for (const name of wanted) {
      const started = performance.now();
      const value = this.builders[name](time, skips);
      parts[name] = { ok: true, value, seconds: (performance.now() - started) / 1000 };
    }
    return { time, dispatcharrVersion: DEMO_DISPATCHARR_VERSION, parts: parts as Snapshot['parts'], skips: skips.list() };
  }

  /** Epoch seconds of a moment given in seconds from the demo's start. */
  private sinceStart(offset: number | null): number | null {
    return offset === null ? null : Math.floor(this.simulation.start + offset);
  }

  private readonly builders: Builders = {
    database: () => SCHEMA,
    m3uAccounts: (time) =>
      ACCOUNTS.map((a) => ({
        id: a.id,
        name: a.name,
        accountType: a.type,
        status: refreshStatus(a.refresh, time - this.simulation.start),
        isActive: a.isActive,
        locked: a.locked,
        serverUrl: a.serverUrl,
        username: a.username,
        streamCount: a.streamCount,
        refreshedAt: this.sinceStart(lastSuccess(a.refresh, time - this.simulation.start, a.succeededBefore)),
        refreshIntervalHours: a.refresh.kind === 'cycle' ? a.refresh.periodSeconds / 3600 : 0,
      })),
    epgSources: (time) =>
      EPG_SOURCES.map((s) => ({
        id: s.id,
        name: s.name,
        sourceType: s.sourceType,
        status: refreshStatus(s.refresh, time - this.simulation.start),
        isActive: s.isActive,
        priority: s.priority,
        url: s.url,
      })),
    channelCounts: () => {
      const total = CHANNELS.length + HIDDEN_CHANNELS;
      const kids = CHANNELS.filter((c) => c.group === 'Kids').length;
      const livingRoom = CHANNELS.filter((c) => c.group !== 'Kids' && c.number !== null).length;
      return {
        total,
        enabled: CHANNELS.length,
        groups: CHANNEL_GROUPS.length,
        profiles: [
          { id: '1', name: 'All channels', enabled: CHANNELS.length },
          { id: '2', name: 'Kids room', enabled: kids },
          { id: '3', name: 'Living room TV', enabled: livingRoom },
        ],
      };
    },
    profiles: () =>
      PROFILES.map((p) => {
        const account = ACCOUNTS.find((a) => a.id === p.accountId);
        return {
          id: p.id,
          name: p.name,
          maxStreams: p.maxStreams,
          accountName: account?.name ?? '',
          accountType: account?.type ?? '',
          accountLocked: account?.locked ?? false,
          expiresAt: p.expiresIn === null ? null : Math.floor(this.simulation.start + p.expiresIn),
        };
      }),
    live: (time, skips) => liveState(this.simulation.liveChannels(), this.simulation.vod.list(), time, skips),
    liveJoin: () => liveJoin(this.simulation.liveChannels(), this.simulation.vod.list()),
    programmes: (time) =>
      this.simulation.liveChannels().flatMap(({ channel }): ChannelProgrammes[] => {
        const programmes = programmesAt(channel, CHANNELS.indexOf(channel), time);
        return programmes ? [programmes] : [];
      }),
    users: () =>
      USERS.map((u) => ({
        id: u.id,
        username: u.username,
        level: u.level,
        isStaff: u.isStaff,
        dateJoined: joinedAt(u, this.simulation.start),
        streamLimit: u.streamLimit,
      })),
    vodCatalogue: (time) =>
      this.simulation.vod.list().flatMap((session): VodContent[] => {
        const { title } = session;
        if (!streaming(session, time)) return [];
        const common = {
          sessionId: session.id,
          description: title.description,
          durationSecs: title.durationSecs,
          logoId: title.logoId,
          category: title.category,
        };
        if (title.kind === 'episode') {
          const { name, season, episode, seriesName } = title;
          return [{ ...common, kind: 'episode' as const, name, seasonNumber: season, episodeNumber: episode, seriesName }];
        }
        const [videoCodec, videoWidth, videoHeight] = title.video;
        return [
          {
            ...common,
            kind: 'movie' as const,
            name: title.name,
            year: title.year,
            genre: title.genre,
            videoCodec,
            videoWidth,
            videoHeight,
          },
        ];
      }),
    events: (time) => this.simulation.events.totals(time),
  };
}
