/**
 * The demo's channels: numbers, names (a few with quotes, markup and emoji, as real line-ups have), groups, the
 * failover list of streams from the providers, how each is streamed and how popular it is.
 */
import { ACCOUNT_IDS, ACCOUNTS, PROFILE_IDS } from './world-providers.js';

export interface StreamProfile {
  readonly id: string;
  readonly name: string;
  /** What ffmpeg reports into the channel's metadata: nothing (proxy), the source, or the source and its output. */
  readonly reports: 'nothing' | 'source' | 'source-and-output';
}

export const STREAM_PROFILES = {
  ffmpeg: { id: '1', name: 'ffmpeg', reports: 'source-and-output' },
  proxy: { id: '2', name: 'Proxy', reports: 'nothing' },
  streamlink: { id: '3', name: 'streamlink', reports: 'source' },
} as const satisfies Record<string, StreamProfile>;

export interface DemoStream {
  readonly id: string;
  readonly name: string;
  readonly accountId: string;
}

export interface VideoFormat {
  readonly codec: string;
  readonly resolution: string;
  /** As ffmpeg prints it; not always a number. */
  readonly fps: string;
  readonly kbps: number;
}

/** A channel that is always on, with the profile it holds: the demo's steady facts (a failover, a full profile). */
export interface Pinned {
  readonly position: number;
  readonly profileId: string;
}

export interface DemoChannel {
  readonly id: string;
  readonly uuid: string;
  readonly number: number | null;
  readonly name: string;
  readonly group: string;
  readonly logoId: string | null;
  readonly streams: readonly DemoStream[];
  readonly streamProfile: StreamProfile;
  readonly video: VideoFormat;
  /** Relative share of new viewers. */
  readonly popularity: number;
  /** Whether an EPG source covers it. */
  readonly epg: boolean;
  readonly pinned?: Pinned;
  /** Its signal drops every few minutes and ffmpeg reconnects (a Dispatcharr channel_reconnect event). */
  readonly flaky?: boolean;
}

interface ChannelSpec {
  readonly number: number | null;
  readonly name: string;
  readonly group: string;
  readonly accounts: readonly string[];
  readonly profile: keyof typeof STREAM_PROFILES;
  readonly video: readonly [codec: string, resolution: string, fps: string, kbps: number];
  readonly popularity: number;
  readonly epg?: boolean;
  readonly pinned?: Pinned;
  readonly flaky?: boolean;
}

const { streamco, nordic, oldReseller, tuner, backup } = ACCOUNT_IDS;
const HD50: ChannelSpec['video'] = ['h264', '1920x1080', '50', 6500];
const HD25: ChannelSpec['video'] = ['h264', '1920x1080', '25', 4800];
const SD: ChannelSpec['video'] = ['h264', '1280x720', '25', 2400];
const UHD: ChannelSpec['video'] = ['hevc', '3840x2160', '50', 16_000];

const SPECS: readonly ChannelSpec[] = [
  // Its provider's subscription ran out, so it plays its backup from StreamCo, on the one-connection second login.
  {
    number: 101,
    name: 'Aurora News',
    group: 'News',
    accounts: [oldReseller, streamco, backup],
    profile: 'ffmpeg',
    video: HD50,
    popularity: 6,
    pinned: { position: 1, profileId: PROFILE_IDS.streamcoSecond },
  },
  { number: 102, name: 'World Report', group: 'News', accounts: [streamco, backup], profile: 'ffmpeg', video: HD25, popularity: 4 },
  { number: 103.5, name: 'Business Ticker', group: 'News', accounts: [backup], profile: 'streamlink', video: SD, popularity: 1 },
  // The tuner's weather loop has no frame rate ffmpeg can read, and its signal drops now and then.
  {
    number: 110,
    name: 'Weather Now',
    group: 'News',
    accounts: [tuner],
    profile: 'ffmpeg',
    video: ['mpeg2video', '720x576', 'N/A', 1800],
    popularity: 1,
    pinned: { position: 0, profileId: '6' },
    flaky: true,
  },
  {
    number: 201,
    name: 'Polar Sports 1',
    group: 'Sports',
    accounts: [streamco, nordic, backup],
    profile: 'ffmpeg',
    video: ['h264', '1920x1080', '50', 8000],
    popularity: 8,
    pinned: { position: 0, profileId: PROFILE_IDS.streamcoDefault },
  },
  {
    number: 202,
    name: 'Polar Sports 2',
    group: 'Sports',
    accounts: [streamco, nordic, backup],
    profile: 'ffmpeg',
    video: HD50,
    popularity: 5,
  },
  {
    number: 203,
    name: 'Motor Racing Live',
    group: 'Sports',
    accounts: [nordic, streamco],
    profile: 'ffmpeg',
    video: ['h264', '1920x1080', '59.94', 9000],
    popularity: 3,
  },
  { number: 204, name: 'World Football HD', group: 'Sports', accounts: [streamco, backup], profile: 'proxy', video: HD50, popularity: 6 },
  {
    number: 301,
    name: 'Kino Classics',
    group: 'Movies',
    accounts: [oldReseller, backup],
    profile: 'ffmpeg',
    video: ['h264', '1920x1080', '23.976', 4500],
    popularity: 3,
  },
  { number: 302, name: 'Cinema Nord', group: 'Movies', accounts: [nordic, backup], profile: 'proxy', video: HD25, popularity: 2 },
  {
    number: 305,
    name: 'Café "Late Night" 📺',
    group: 'Entertainment',
    accounts: [nordic],
    profile: 'proxy',
    video: HD25,
    popularity: 2,
    pinned: { position: 0, profileId: PROFILE_IDS.nordic },
  },
  { number: 401, name: 'Kids <Cartoons> & Co', group: 'Kids', accounts: [streamco, backup], profile: 'ffmpeg', video: SD, popularity: 4 },
  { number: 402, name: 'Bedtime Stories', group: 'Kids', accounts: [backup], profile: 'streamlink', video: SD, popularity: 1 },
  {
    number: 501,
    name: 'Documentary Planet',
    group: 'Documentary',
    accounts: [streamco, backup],
    profile: 'ffmpeg',
    video: HD25,
    popularity: 3,
  },
  { number: 502, name: 'Nature 4K', group: 'Documentary', accounts: [nordic, backup], profile: 'ffmpeg', video: UHD, popularity: 2 },
  { number: 601, name: 'Retro Hits', group: 'Music', accounts: [backup], profile: 'proxy', video: SD, popularity: 1, epg: false },
  { number: 602, name: 'Jazz Lounge', group: 'Music', accounts: [tuner, backup], profile: 'ffmpeg', video: SD, popularity: 1, epg: false },
  {
    number: 701,
    name: 'Local Council',
    group: 'Local',
    accounts: [tuner],
    profile: 'ffmpeg',
    video: ['h264', '720x576', '25', 1800],
    popularity: 1,
  },
  { number: 702, name: 'Fjord TV', group: 'Local', accounts: [tuner, nordic], profile: 'ffmpeg', video: HD25, popularity: 2 },
  {
    number: 801,
    name: 'Comedy Club',
    group: 'Entertainment',
    accounts: [streamco, oldReseller],
    profile: 'ffmpeg',
    video: HD25,
    popularity: 3,
  },
  {
    number: 802,
    name: 'Cooking Stories',
    group: 'Entertainment',
    accounts: [nordic, backup],
    profile: 'ffmpeg',
    video: HD25,
    popularity: 2,
  },
  // A pop-up channel for an event, not numbered yet (Dispatcharr 0.25+ allows that).
  {
    number: null,
    name: 'Pop-up: Harbour Festival',
    group: 'Local',
    accounts: [backup],
    profile: 'streamlink',
    video: SD,
    popularity: 1,
    epg: false,
  },
];

/** Channels Dispatcharr knows besides these: hidden from output, so never watched here. */
export const HIDDEN_CHANNELS = 3;

export const CHANNEL_GROUPS: readonly string[] = [...new Set(SPECS.map((s) => s.group))];

/** A fixed, random-looking version 4 UUID for the channel at `index`. */
function channelUuid(index: number): string {
  const hex = (index * 2_654_435_761 + 0x5eed).toString(16).padStart(8, '0').slice(-8);
  return `${hex}-7d1e-4c2a-9b3f-${(0xa1b2c3d40000 + index * 977).toString(16).padStart(12, '0')}`;
}

function streamsOf(spec: ChannelSpec, index: number): DemoStream[] {
  return spec.accounts.map((accountId, place) => {
    const prefix = ACCOUNTS.find((a) => a.id === accountId)?.streamPrefix ?? '';
    const quality = place === 0 ? ' FHD' : place === 1 ? ' HD' : '';
    return { id: String(1000 + index * 10 + place), name: `${prefix}${spec.name}${quality}`, accountId };
  });
}

export const CHANNELS: readonly DemoChannel[] = SPECS.map((spec, index) => {
  const [codec, resolution, fps, kbps] = spec.video;
  return {
    id: String(index + 1),
    uuid: channelUuid(index + 1),
    number: spec.number,
    name: spec.name,
    group: spec.group,
    logoId: index % 7 === 6 ? null : String(index + 1),
    streams: streamsOf(spec, index + 1),
    streamProfile: STREAM_PROFILES[spec.profile],
    video: { codec, resolution, fps, kbps },
    popularity: spec.popularity,
    epg: spec.epg ?? true,
    ...(spec.pinned && { pinned: spec.pinned }),
    ...(spec.flaky && { flaky: true }),
  };
});
