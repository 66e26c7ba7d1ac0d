/** The demo's people: Dispatcharr users, the households whose players connect, and the VOD titles they watch. */
import { ACCOUNT_IDS } from './world-providers.js';

const DAY = 86_400;

export interface DemoUser {
  readonly id: string;
  readonly username: string;
  readonly level: number;
  readonly isStaff: boolean;
  /** Days before the demo's start that the account was created. */
  readonly joinedDaysAgo: number;
  readonly streamLimit: number;
}

export const USERS: readonly DemoUser[] = [
  { id: '1', username: 'admin', level: 10, isStaff: true, joinedDaysAgo: 412, streamLimit: 0 },
  { id: '2', username: 'alice', level: 1, isStaff: false, joinedDaysAgo: 300, streamLimit: 3 },
  { id: '3', username: 'bob', level: 1, isStaff: false, joinedDaysAgo: 251, streamLimit: 2 },
  { id: '4', username: 'kids-tablet', level: 0, isStaff: false, joinedDaysAgo: 90, streamLimit: 1 },
  { id: '5', username: 'zoë', level: 1, isStaff: false, joinedDaysAgo: 33, streamLimit: 0 },
  { id: '6', username: 'guest', level: 0, isStaff: false, joinedDaysAgo: 2, streamLimit: 1 },
];

export const joinedAt = (user: DemoUser, start: number): number => Math.floor(start - user.joinedDaysAgo * DAY);

/** A player in a home: its address, its user agent and the Dispatcharr user it logs in as ('0' = anonymous). */
export interface Household {
  readonly ip: string;
  readonly userAgent: string;
  readonly userId: string;
}

export const HOUSEHOLDS: readonly Household[] = [
  { ip: '192.0.2.10', userAgent: 'TiviMate/5.1.6 (Android TV 12)', userId: '2' },
  { ip: '192.0.2.10', userAgent: 'VLC/3.0.20 LibVLC/3.0.20', userId: '3' },
  { ip: '192.0.2.11', userAgent: 'Kodi/21.0 (Linux; Android 11) Android/11', userId: '4' },
  { ip: '198.51.100.7', userAgent: 'Plex Media Server/1.40.2', userId: '0' },
  { ip: '198.51.100.23', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', userId: '1' },
  { ip: '203.0.113.5', userAgent: 'IPTV Smarters Pro/4.0', userId: '5' },
  { ip: '203.0.113.77', userAgent: 'Lavf/60.16.100', userId: '0' },
  { ip: '2001:db8::42', userAgent: 'Jellyfin/10.9.7', userId: '0' },
  { ip: '203.0.113.200', userAgent: 'Smart TV "Living Room" <Set-Top> \\ v2 📺', userId: '2' },
];

export const WORKERS: readonly string[] = ['dispatcharr-1:uwsgi-2', 'dispatcharr-1:uwsgi-3', 'dispatcharr-1:uwsgi-5'];

interface TitleCommon {
  readonly uuid: string;
  readonly accountId: string;
  readonly description: string;
  readonly durationSecs: number;
  readonly logoId: string | null;
  readonly category: string;
}

export interface DemoMovie extends TitleCommon {
  readonly kind: 'movie';
  readonly name: string;
  readonly year: number;
  readonly genre: string;
  readonly video: readonly [codec: string, width: string, height: string];
}

export interface DemoEpisode extends TitleCommon {
  readonly kind: 'episode';
  readonly name: string;
  readonly seriesName: string;
  readonly season: number;
  readonly episode: number;
}

export type DemoTitle = DemoMovie | DemoEpisode;

const { streamco, nordic, backup } = ACCOUNT_IDS;

export const TITLES: readonly DemoTitle[] = [
  {
    kind: 'movie',
    uuid: '3f2a9c10-5b7e-4d21-8a6f-0c1d2e3f4a01',
    accountId: streamco,
    name: 'The Lighthouse Keeper (2019)',
    year: 2019,
    genre: 'Drama, Mystery',
    description: 'A keeper on a remote island finds a message in a bottle addressed to him.',
    durationSecs: 6240,
    logoId: '11',
    category: 'Movies | Drama',
    video: ['h264', '1920', '1080'],
  },
  {
    kind: 'movie',
    uuid: '3f2a9c10-5b7e-4d21-8a6f-0c1d2e3f4a02',
    accountId: nordic,
    name: 'Northern Lights (2021)',
    year: 2021,
    genre: 'Documentary',
    description: 'Six winters under the aurora, filmed in 4K.\nNarrated in English.',
    durationSecs: 5400,
    logoId: '12',
    category: 'Nordic | Documentary',
    video: ['hevc', '3840', '2160'],
  },
  {
    kind: 'movie',
    uuid: '3f2a9c10-5b7e-4d21-8a6f-0c1d2e3f4a03',
    accountId: backup,
    name: 'Harbour Heist (2018)',
    year: 2018,
    genre: 'Action, Crime',
    description: 'Four "retired" thieves, one last job, and a tide that will not wait.',
    durationSecs: 6900,
    logoId: null,
    category: 'Movies | Action',
    video: ['h264', '1280', '720'],
  },
  {
    kind: 'episode',
    uuid: '3f2a9c10-5b7e-4d21-8a6f-0c1d2e3f4b01',
    accountId: nordic,
    name: 'Fjord Patrol - S02E05 - The Storm',
    seriesName: 'Fjord Patrol',
    season: 2,
    episode: 5,
    description: 'A ferry loses power in the worst storm in a decade.',
    durationSecs: 2700,
    logoId: '21',
    category: 'Series | Nordic Crime',
  },
  {
    kind: 'episode',
    uuid: '3f2a9c10-5b7e-4d21-8a6f-0c1d2e3f4b02',
    accountId: streamco,
    name: 'Kitchen Chronicles - S03E04 - Smørrebrød & Sourdough',
    seriesName: 'Kitchen Chronicles',
    season: 3,
    episode: 4,
    description: 'Open sandwiches, a 100-year-old starter, and a very tense bake-off.',
    durationSecs: 1800,
    logoId: '22',
    category: 'Series | Food',
  },
];
