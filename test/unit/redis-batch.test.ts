import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLiveState } from '../../src/sources/dispatcharr-redis.js';
import { Batch, Slot } from '../../src/sources/redis-batch.js';
import { RespError, type RespValue } from '../../src/sources/resp.js';
import { CLIENT_FIELDS, type LiveChannelSet, METADATA_FIELDS, VOD_FIELDS } from '../../src/snapshot.js';

type Command = readonly string[];

/** Answers each pipeline with `answer` and records what was sent. */
function recorder(answer: (command: Command) => RespValue) {
  const sent: Command[][] = [];
  return {
    sent,
    async pipeline(commands: readonly Command[]): Promise<RespValue[]> {
      sent.push([...commands]);
      return commands.map(answer);
    },
  };
}

test('each command of a batch is decoded from its own reply, all sent as one pipeline in order', async () => {
  const redis = recorder((command) => `reply to ${command.join(' ')}`);
  const batch = new Batch();
  const prefixed = (reply: RespValue, prefix: string) => `${prefix}: ${reply}`;
  const a = batch.add(['GET', 'a'], prefixed, 'a');
  const b = batch.add(['MGET', 'b', 'c'], (reply) => String(reply).length, undefined);
  const c = batch.add(['GET', 'c'], prefixed, 'c');
  await batch.run(redis);
  assert.deepEqual(redis.sent, [
    [
      ['GET', 'a'],
      ['MGET', 'b', 'c'],
      ['GET', 'c'],
    ],
  ]);
  assert.equal(a.get(), 'a: reply to GET a');
  assert.equal(b.get(), 'reply to MGET b c'.length);
  assert.equal(c.get(), 'c: reply to GET c');
});

test('an empty batch sends nothing', async () => {
  const redis = recorder(() => assert.fail('nothing is sent'));
  await new Batch().run(redis);
  assert.deepEqual(redis.sent, []);
});

test('a Redis error reply reaches only the decoder of its own command', async () => {
  const redis = recorder((command) => (command[1] === 'bad' ? new RespError('WRONGTYPE') : ['1']));
  const batch = new Batch();
  const decode = (reply: RespValue) => (reply instanceof RespError ? `error: ${reply.message}` : reply);
  const before = batch.add(['HMGET', 'good', 'f'], decode, undefined);
  const bad = batch.add(['HMGET', 'bad', 'f'], decode, undefined);
  const after = batch.add(['HMGET', 'good', 'f'], decode, undefined);
  await batch.run(redis);
  assert.deepEqual([before.get(), bad.get(), after.get()], [['1'], 'error: WRONGTYPE', ['1']]);
});

test('a slot read before its batch ran, or a reply count that does not match, is an error', async () => {
  const batch = new Batch();
  const slot = batch.add(['GET', 'a'], (reply) => reply, undefined);
  assert.throws(() => slot.get(), /GET was read before its batch ran/);
  assert.deepEqual(Slot.of([1]).get(), [1]);
  await assert.rejects(batch.run({ pipeline: async () => [] }), /0 replies to 1 commands/);
});

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const GONE = '00000000-0000-4000-8000-00000000000c';
const WRONG = '00000000-0000-4000-8000-00000000000d';

type Stored = Record<string, string> | string[] | string;

/** A fake RedisSource over an in-memory keyspace: SCAN lists `scanned` (possibly stale), the rest answers from `store`. */
function fakeRedis(scanned: readonly string[], store: Readonly<Record<string, Stored>>) {
  const one = ([name, ...args]: Command): RespValue => {
    const value = store[args[0] ?? ''];
    switch (name) {
      case 'DBSIZE':
        return Object.keys(store).length;
      case 'HMGET':
        if (value === undefined) return args.slice(1).map(() => null);
        if (typeof value === 'string' || Array.isArray(value)) return new RespError('WRONGTYPE');
        return args.slice(1).map((field) => value[field] ?? null);
      case 'SMEMBERS':
        if (value === undefined) return [];
        return Array.isArray(value) ? value : new RespError('WRONGTYPE');
      case 'MGET':
        return args.map((key) => {
          const v = store[key];
          return typeof v === 'string' ? v : null;
        });
      default:
        throw new Error(`unexpected ${name}`);
    }
  };
  const sent: Command[][] = [];
  return {
    sent,
    roundTrips: 40, // earlier scrapes' round trips, not this read's
    async scanAll() {
      this.roundTrips++;
      return [...scanned];
    },
    async pipeline(commands: readonly Command[]) {
      if (commands.length === 0) return [];
      this.roundTrips++;
      sent.push([...commands]);
      return commands.map(one);
    },
  };
}

test('live state: the commands of both batches, in order, and what is made of their replies', async () => {
  const store: Record<string, Stored> = {
    [`live:channel:${B}:metadata`]: { state: 'active', init_time: '100', url: 'http://secret' },
    [`live:channel:${B}:clients`]: ['client_2', 'client_1', 'client_2', 'client_expired'],
    [`live:channel:${B}:clients:client_1`]: { ip_address: '192.0.2.1', bytes_sent: '10' },
    [`live:channel:${B}:clients:client_2`]: { ip_address: '192.0.2.2' },
    [`ts_proxy:channel:${A}:metadata`]: { state: 'buffering' },
    [`ts_proxy:channel:${A}:clients`]: ['client_9'],
    [`ts_proxy:channel:${A}:clients:client_9`]: { user_agent: 'VLC' },
    [`live:channel:${GONE}:clients`]: ['client_3'],
    [`live:channel:${GONE}:clients:client_3`]: { ip_address: '192.0.2.3' },
    [`live:channel:${WRONG}:metadata`]: { state: 'active' },
    [`live:channel:${WRONG}:clients`]: 'not a set',
    'vod_persistent_connection:vod_1': { m3u_profile_id: '4', headers: 'secret' },
    'channel_stream:7': '70',
    'channel_stream:8': 'not a number',
    'stream_profile:70': ' 4 ',
  };
  const scanned = [
    ...Object.keys(store),
    `live:channel:${GONE}:metadata`, // expired between SCAN and HMGET
    'vod_persistent_connection:vod_2', // likewise
  ].reverse();
  const redis = fakeRedis(scanned, store);
  const heard: { set: LiveChannelSet; pipelinesSent: number }[] = [];
  const state = await readLiveState(redis, undefined, undefined, (set) => heard.push({ set, pipelinesSent: redis.sent.length }));

  const metadata = (key: string) => ['HMGET', key, ...METADATA_FIELDS];
  const client = (key: string) => ['HMGET', key, ...CLIENT_FIELDS];
  assert.deepEqual(redis.sent, [
    [['DBSIZE']],
    [
      metadata(`ts_proxy:channel:${A}:metadata`),
      ['SMEMBERS', `ts_proxy:channel:${A}:clients`],
      metadata(`live:channel:${B}:metadata`),
      ['SMEMBERS', `live:channel:${B}:clients`],
      metadata(`live:channel:${GONE}:metadata`),
      ['SMEMBERS', `live:channel:${GONE}:clients`],
      metadata(`live:channel:${WRONG}:metadata`),
      ['SMEMBERS', `live:channel:${WRONG}:clients`],
      ['HMGET', 'vod_persistent_connection:vod_1', ...VOD_FIELDS],
      ['HMGET', 'vod_persistent_connection:vod_2', ...VOD_FIELDS],
      [
        'MGET',
        ...[`ts_proxy:channel:${A}`, `live:channel:${B}`, `live:channel:${GONE}`, `live:channel:${WRONG}`].map((k) => `${k}:last_data`),
      ],
      ['MGET', 'channel_stream:7', 'channel_stream:8'],
      ['MGET', 'stream_profile:70'],
    ],
    [
      client(`ts_proxy:channel:${A}:clients:client_9`),
      client(`live:channel:${B}:clients:client_1`),
      client(`live:channel:${B}:clients:client_2`),
      client(`live:channel:${B}:clients:client_expired`),
      client(`live:channel:${GONE}:clients:client_3`),
    ],
  ]);
  assert.deepEqual(state, {
    channels: [
      { uuid: A, metadata: { state: 'buffering' }, clients: [{ id: 'client_9', fields: { user_agent: 'VLC' } }] },
      {
        uuid: B,
        metadata: { state: 'active', init_time: '100' },
        clients: [
          { id: 'client_1', fields: { ip_address: '192.0.2.1', bytes_sent: '10' } },
          { id: 'client_2', fields: { ip_address: '192.0.2.2' } },
        ],
      },
      { uuid: WRONG, metadata: { state: 'active' }, clients: [] },
    ],
    vodSessions: [{ id: 'vod_1', fields: { m3u_profile_id: '4' } }],
    reservedStreams: { '7': 70 },
    streamProfiles: { '70': 4 },
    roundTrips: 4,
    discovery: { mode: 'scan', keyspace: Object.keys(store).length },
  });
  // The channels, VOD sessions and reserved streams are heard once, when the first batch is back and before the clients
  // are asked for.
  assert.deepEqual(heard, [
    {
      set: {
        channels: state.channels.map(({ uuid, metadata }) => ({ uuid, metadata })),
        vodSessions: state.vodSessions,
        reservedStreams: state.reservedStreams,
      },
      pipelinesSent: 2,
    },
  ]);
});

test('live state: an idle Redis takes two round trips (DBSIZE, one SCAN page), channels without clients three', async () => {
  const idle = fakeRedis(['celery'], {});
  assert.deepEqual(await readLiveState(idle), {
    channels: [],
    vodSessions: [],
    reservedStreams: {},
    streamProfiles: {},
    roundTrips: 2,
    discovery: { mode: 'scan', keyspace: 0 },
  });
  assert.deepEqual(idle.sent, [[['DBSIZE']]]);

  const key = `live:channel:${A}:metadata`;
  const quiet = fakeRedis([key], { [key]: { state: 'active' } });
  const state = await readLiveState(quiet);
  assert.deepEqual(state.channels, [{ uuid: A, metadata: { state: 'active' }, clients: [] }]);
  assert.equal(state.roundTrips, 3);
  assert.deepEqual(quiet.sent, [
    [['DBSIZE']],
    [
      ['HMGET', key, ...METADATA_FIELDS],
      ['SMEMBERS', `live:channel:${A}:clients`],
      ['MGET', `live:channel:${A}:last_data`],
    ],
  ]);
});

test('a batch run twice sends each command once: what was added after the first run goes out, decoded, in the second', async () => {
  const redis = recorder((command) => `reply to ${command.join(' ')}`);
  const batch = new Batch();
  const a = batch.add(['GET', 'a'], (reply) => reply, undefined);
  await batch.run(redis);
  const b = batch.add(['GET', 'b'], (reply) => reply, undefined);
  await batch.run(redis);
  assert.deepEqual(redis.sent, [[['GET', 'a']], [['GET', 'b']]]);
  assert.equal(a.get(), 'reply to GET a');
  assert.equal(b.get(), 'reply to GET b');
});
