/**
 * The demo's providers (M3U accounts and their profiles) and EPG sources: fixed facts, with expiries relative to
 * the demo's start and refresh statuses that follow a schedule.
 */

import { cycle, fixed, type RefreshPlan } from './refresh.js';

const DAY = 86_400;

export interface DemoAccount {
  readonly id: string;
  readonly name: string;
  readonly type: 'XC' | 'STD';
  readonly isActive: boolean;
  /** Dispatcharr's built-in account for user-made streams. */
  readonly locked: boolean;
  readonly serverUrl: string | null;
  readonly username: string | null;
  readonly streamCount: number;
  readonly refresh: RefreshPlan;
  /** For accounts whose plan never succeeds: seconds before the start of their last success; null = never. */
  readonly succeededBefore: number | null;
  /** Prefix of its stream names, as providers tag them. */
  readonly streamPrefix: string;
}

export interface DemoProfile {
  readonly id: string;
  readonly name: string;
  readonly accountId: string;
  /** 0 = unlimited. */
  readonly maxStreams: number;
  /** Seconds from the demo's start to the subscription's end (negative: already over); null = no expiry known. */
  readonly expiresIn: number | null;
}

export const ACCOUNT_IDS = {
  custom: '1',
  streamco: '2',
  nordic: '3',
  oldReseller: '4',
  tuner: '5',
  backup: '6',
  trial: '7',
  newcomer: '8',
} as const;

export const ACCOUNTS: readonly DemoAccount[] = [
  {
    id: ACCOUNT_IDS.custom,
    name: 'custom',
    type: 'STD',
    isActive: true,
    locked: true,
    serverUrl: null,
    username: null,
    streamCount: 3,
    refresh: fixed('idle'),
    succeededBefore: null,
    streamPrefix: '',
  },
  {
    id: ACCOUNT_IDS.streamco,
    name: 'StreamCo Premium',
    type: 'XC',
    isActive: true,
    locked: false,
    serverUrl: 'http://demo_user:s3cret-pass@line.streamco.example:8080',
    username: 'demo_user',
    streamCount: 18_432,
    refresh: cycle(900, 0),
    succeededBefore: null,
    streamPrefix: 'SC| ',
  },
  {
    id: ACCOUNT_IDS.nordic,
    name: 'Nordic IPTV',
    type: 'XC',
    isActive: true,
    locked: false,
    serverUrl: 'http://nordic-iptv.example',
    username: 'nordic4711',
    streamCount: 6_120,
    refresh: cycle(1200, 400),
    succeededBefore: null,
    streamPrefix: 'NORDIC: ',
  },
  {
    id: ACCOUNT_IDS.oldReseller,
    name: 'Old Reseller',
    type: 'XC',
    isActive: true,
    locked: false,
    serverUrl: 'http://old-reseller.example:25461',
    username: 'olduser',
    streamCount: 2_210,
    // Its subscription is over, so every refresh fails.
    refresh: cycle(600, 100, 'error'),
    succeededBefore: 9 * DAY,
    streamPrefix: 'OLD - ',
  },
  {
    id: ACCOUNT_IDS.tuner,
    name: 'Local tuner (HDHomeRun)',
    type: 'STD',
    isActive: true,
    locked: false,
    serverUrl: 'http://tuner.lan:5004/lineup.m3u',
    username: null,
    streamCount: 42,
    refresh: cycle(3600, 1800),
    succeededBefore: null,
    streamPrefix: 'Tuner ',
  },
  {
    id: ACCOUNT_IDS.backup,
    name: 'Backup XC',
    type: 'XC',
    isActive: true,
    locked: false,
    serverUrl: 'http://backup-xc.example/get.php?username=bk_user&password=pa55word&type=m3u_plus',
    username: 'bk_user',
    streamCount: 9_804,
    refresh: cycle(1800, 1200),
    succeededBefore: null,
    streamPrefix: 'BK ',
  },
  {
    id: ACCOUNT_IDS.trial,
    name: 'Trial account',
    type: 'XC',
    isActive: false,
    locked: false,
    serverUrl: 'http://trial.example',
    username: 'trial01',
    streamCount: 0,
    refresh: fixed('disabled'),
    succeededBefore: 61 * DAY,
    streamPrefix: 'TRIAL ',
  },
  {
    id: ACCOUNT_IDS.newcomer,
    name: 'Ålesund Kabel-TV',
    type: 'STD',
    isActive: true,
    locked: false,
    serverUrl: 'https://kabel.example.no/playlist.m3u?token=abc123',
    username: null,
    streamCount: 0,
    refresh: fixed('pending_setup'),
    succeededBefore: null,
    streamPrefix: '',
  },
];

export const PROFILE_IDS = { streamcoDefault: '2', streamcoSecond: '3', nordic: '4', oldReseller: '5' } as const;

export const PROFILES: readonly DemoProfile[] = [
  { id: '1', name: 'custom Default', accountId: ACCOUNT_IDS.custom, maxStreams: 0, expiresIn: null },
  {
    id: PROFILE_IDS.streamcoDefault,
    name: 'StreamCo Premium Default',
    accountId: ACCOUNT_IDS.streamco,
    maxStreams: 5,
    expiresIn: 214 * DAY,
  },
  { id: PROFILE_IDS.streamcoSecond, name: 'Second login', accountId: ACCOUNT_IDS.streamco, maxStreams: 1, expiresIn: 214 * DAY },
  { id: PROFILE_IDS.nordic, name: 'Nordic IPTV Default', accountId: ACCOUNT_IDS.nordic, maxStreams: 4, expiresIn: 3.6 * DAY },
  { id: PROFILE_IDS.oldReseller, name: 'Old Reseller Default', accountId: ACCOUNT_IDS.oldReseller, maxStreams: 1, expiresIn: -2.3 * DAY },
  { id: '6', name: 'Local tuner Default', accountId: ACCOUNT_IDS.tuner, maxStreams: 0, expiresIn: null },
  { id: '7', name: 'Backup XC Default', accountId: ACCOUNT_IDS.backup, maxStreams: 0, expiresIn: null },
  { id: '8', name: 'Trial account Default', accountId: ACCOUNT_IDS.trial, maxStreams: 1, expiresIn: null },
  { id: '9', name: 'Ålesund Kabel-TV Default', accountId: ACCOUNT_IDS.newcomer, maxStreams: 0, expiresIn: null },
];

export interface DemoEpgSource {
  readonly id: string;
  readonly name: string;
  readonly sourceType: string;
  readonly isActive: boolean;
  readonly priority: number;
  readonly url: string | null;
  readonly refresh: RefreshPlan;
}

export const EPG_SOURCES: readonly DemoEpgSource[] = [
  {
    id: '1',
    name: 'Nordic XMLTV',
    sourceType: 'xmltv',
    isActive: true,
    priority: 10,
    url: 'https://epg.nordic-iptv.example/xmltv.php?username=nordic4711&password=hunter2',
    refresh: cycle(1800, 300),
  },
  {
    id: '2',
    name: 'Schedules Direct',
    sourceType: 'schedules_direct',
    isActive: true,
    priority: 20,
    url: null,
    refresh: cycle(3600, 1000),
  },
  {
    id: '3',
    name: 'Sports guide mirror',
    sourceType: 'xmltv',
    isActive: true,
    priority: 5,
    url: 'https://mirror.example.org/sports.xml.gz',
    refresh: cycle(600, 200, 'error'),
  },
  {
    id: '4',
    name: 'Community guide',
    sourceType: 'xmltv',
    isActive: true,
    priority: 1,
    url: 'https://guide.example.com/epg.xml?token=abc123',
    refresh: fixed('idle'),
  },
  {
    id: '5',
    name: 'Old guide',
    sourceType: 'xmltv',
    isActive: false,
    priority: 0,
    url: 'http://old-guide.example/epg.xml',
    refresh: fixed('disabled'),
  },
];
