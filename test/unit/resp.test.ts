import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodePipeline } from '../../src/sources/resp-codec.js';
import { encodeCommand, parseReply, ReplyReader, RespConnection, RespError, type RespValue } from '../../src/sources/resp.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Parses a buffer holding exactly one reply. */
function parseOne(buffer: Buffer): RespValue {
  const parsed = parseReply(buffer, 0);
  assert.ok(parsed, 'the reply is complete');
  assert.equal(parsed.next, buffer.length, 'the whole buffer is consumed');
  return parsed.value;
}

test('commands are encoded as RESP arrays of bulk strings, byte lengths for UTF-8', () => {
  assert.equal(encodeCommand(['HMGET', 'k', 'é']).toString('utf8'), '*3\r\n$5\r\nHMGET\r\n$1\r\nk\r\n$2\r\né\r\n');
});

test('a pipeline is the commands encoded one after another, arguments that repeat across commands included', () => {
  const reference = (args: readonly string[]) =>
    Buffer.concat([
      Buffer.from(`*${args.length}\r\n`),
      ...args.map((arg) => Buffer.concat([Buffer.from(`$${Buffer.byteLength(arg)}\r\n`), Buffer.from(arg), Buffer.from('\r\n')])),
    ]);
  // Few distinct short arguments (so they repeat), and long ones, ASCII or not.
  const argument = fc.oneof(fc.constantFrom('HMGET', 'ip_address', 'é', ''), fc.string({ unit: 'grapheme', maxLength: 40 }));
  fc.assert(
    fc.property(fc.array(fc.array(argument, { minLength: 1, maxLength: 6 }), { maxLength: 8 }), (commands) => {
      assert.deepEqual(encodePipeline(commands), Buffer.concat(commands.map(reference)));
    }),
  );
  // Long pipelines are encoded a few hundred commands at a time: the pieces join seamlessly.
  fc.assert(
    fc.property(fc.array(fc.array(argument, { minLength: 1, maxLength: 4 }), { minLength: 250, maxLength: 800 }), (commands) => {
      assert.deepEqual(encodePipeline(commands), Buffer.concat(commands.map(reference)));
    }),
    { numRuns: 20 },
  );
});

test('simple strings', () => {
  assert.equal(parseOne(bytes('+OK\r\n')), 'OK');
  assert.equal(parseOne(bytes('+\r\n')), '');
});

test('error replies are RespError values, not exceptions', () => {
  const value = parseOne(bytes('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'));
  assert.ok(value instanceof RespError);
  assert.equal(value.message, 'WRONGTYPE Operation against a key holding the wrong kind of value');
});

test('integers, negative and zero included', () => {
  assert.equal(parseOne(bytes(':42\r\n')), 42);
  assert.equal(parseOne(bytes(':-7\r\n')), -7);
  assert.equal(parseOne(bytes(':0\r\n')), 0);
  assert.equal(parseOne(bytes(':9007199254740991\r\n')), Number.MAX_SAFE_INTEGER);
});

test('bulk strings: empty, with CRLF in the payload, multi-byte UTF-8 counted in bytes', () => {
  assert.equal(parseOne(bytes('$5\r\nhello\r\n')), 'hello');
  assert.equal(parseOne(bytes('$0\r\n\r\n')), '');
  assert.equal(parseOne(bytes('$6\r\na\r\nb\r\n\r\n')), 'a\r\nb\r\n');
  const text = 'é€😀';
  assert.equal(Buffer.byteLength(text), 9);
  assert.equal(parseOne(bytes(`$9\r\n${text}\r\n`)), text);
  // Three characters but nine bytes: with only the first three bytes here the reply is not complete.
  assert.equal(parseReply(bytes(`$9\r\n${text}\r\n`).subarray(0, 4 + 3 + 2), 0), undefined);
});

test('nil bulk string and nil array are null', () => {
  assert.equal(parseOne(bytes('$-1\r\n')), null);
  assert.equal(parseOne(bytes('*-1\r\n')), null);
});

test('arrays: empty, nested, mixed', () => {
  assert.deepEqual(parseOne(bytes('*0\r\n')), []);
  assert.deepEqual(parseOne(bytes('*3\r\n*2\r\n:1\r\n*0\r\n$1\r\nx\r\n*1\r\n*1\r\n$-1\r\n')), [[1, []], 'x', [[null]]]);
  const mixed = parseOne(bytes('*4\r\n+OK\r\n-ERR no\r\n:-1\r\n*-1\r\n'));
  assert.ok(Array.isArray(mixed));
  assert.equal(mixed[0], 'OK');
  assert.ok(mixed[1] instanceof RespError);
  assert.equal(mixed[1].message, 'ERR no');
  assert.deepEqual(mixed.slice(2), [-1, null]);
});

test('a 1 MiB bulk string', () => {
  const payload = 'abcdefghijklmnop'.repeat(65536);
  assert.equal(payload.length, 1 << 20);
  const encoded = bytes(`$${payload.length}\r\n${payload}\r\n`);
  assert.equal(parseOne(encoded), payload);
  assert.equal(parseReply(encoded.subarray(0, encoded.length - 1), 0), undefined);
});

test('several replies back to back, each from where the last ended', () => {
  const buffer = bytes('+OK\r\n:5\r\n$3\r\nabc\r\n*2\r\n$1\r\na\r\n$-1\r\n-ERR x\r\n');
  const values: RespValue[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const parsed = parseReply(buffer, offset);
    assert.ok(parsed);
    values.push(parsed.value);
    offset = parsed.next;
  }
  assert.equal(offset, buffer.length);
  assert.deepEqual(values.slice(0, 4), ['OK', 5, 'abc', ['a', null]]);
  assert.ok(values[4] instanceof RespError);
  assert.equal(values.length, 5);
});

test('a length that is not a number, or a bulk string longer than its length, is a protocol error', () => {
  assert.throws(() => parseReply(bytes('$abc\r\nxyz\r\n'), 0), /protocol error: bad length/);
  assert.throws(() => parseReply(bytes('*x\r\n'), 0), /protocol error: bad length/);
  assert.throws(() => parseReply(bytes('$2\r\nabc\r\n'), 0), /protocol error: bulk string longer/);
  assert.throws(() => parseReply(bytes('+O\rK\r\n'), 0), /protocol error: carriage return without line feed/);
  assert.equal(parseReply(bytes('+OK\r'), 0), undefined, 'a line whose LF has not arrived yet waits for it');
  assert.deepEqual(parseReply(bytes('$-1\r\n'), 0), { value: null, next: 5 });
});

test('an unknown reply type is a protocol error', () => {
  assert.throws(
    () => parseReply(bytes('?what\r\n'), 0),
    (error: unknown) => error instanceof RespError && /protocol error/.test(error.message),
  );
  // Also after a valid reply and inside an array.
  assert.throws(() => parseReply(bytes('+OK\r\n!x\r\n'), 5), /protocol error/);
  assert.throws(() => parseReply(bytes('*2\r\n:1\r\n%1\r\n'), 0), /protocol error/);
});

/** Nested arrays with bulk strings (CRLF and multi-byte UTF-8 inside), integers, nils, an error and an empty array. */
const COMPOSITE = bytes(
  '*6\r\n' +
    '*3\r\n$3\r\nkey\r\n$7\r\na\r\nb€\r\n$0\r\n\r\n' +
    ':-12\r\n' +
    '$-1\r\n' +
    '*2\r\n*-1\r\n*0\r\n' +
    '-WRONGTYPE bad\r\n' +
    '*2\r\n:3\r\n+done\r\n',
);

function assertComposite(value: RespValue | undefined): void {
  assert.ok(Array.isArray(value));
  assert.deepEqual(value.slice(0, 4), [['key', 'a\r\nb€', ''], -12, null, [null, []]]);
  assert.ok(value[4] instanceof RespError);
  assert.equal(value[4].message, 'WRONGTYPE bad');
  assert.deepEqual(value[5], [3, 'done']);
  assert.equal(value.length, 6);
}

test('a reply cut short at any byte is incomplete; the whole of it parses', () => {
  assertComposite(parseOne(COMPOSITE));
  for (let cut = 0; cut < COMPOSITE.length; cut++) {
    assert.equal(parseReply(COMPOSITE.subarray(0, cut), 0), undefined, `cut after ${cut} bytes`);
  }
});

test('a reply split in two chunks at every offset comes out whole, once', () => {
  for (let split = 0; split <= COMPOSITE.length; split++) {
    const reader = new ReplyReader();
    reader.push(COMPOSITE.subarray(0, split));
    if (split < COMPOSITE.length) assert.equal(reader.next(), undefined, `split at ${split}`);
    reader.push(COMPOSITE.subarray(split));
    assertComposite(reader.next());
    assert.equal(reader.next(), undefined, `nothing more after a split at ${split}`);
  }
});

test('replies fed one byte at a time come out whole, in order, each as soon as its last byte arrives', () => {
  const stream = Buffer.concat([COMPOSITE, bytes('+OK\r\n'), COMPOSITE, bytes('$-1\r\n')]);
  const ends = [COMPOSITE.length, COMPOSITE.length + 5, 2 * COMPOSITE.length + 5, stream.length];
  const reader = new ReplyReader();
  const got: { value: RespValue; at: number }[] = [];
  for (let i = 0; i < stream.length; i++) {
    reader.push(stream.subarray(i, i + 1));
    for (let value = reader.next(); value !== undefined; value = reader.next()) {
      got.push({ value, at: i + 1 });
      assert.ok(got.length <= ends.length, 'no reply is handed out twice');
    }
  }
  assert.deepEqual(
    got.map(({ at }) => at),
    ends,
  );
  assertComposite(got[0]?.value);
  assert.equal(got[1]?.value, 'OK');
  assertComposite(got[2]?.value);
  assert.equal(got[3]?.value, null);
});

/** Fails instead of hanging when replies never complete, so the test's clean-up still closes the sockets. */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A loopback server standing in for Redis: it answers the first request with `reply`, one byte per write. */
async function fakeServer(reply: Buffer): Promise<{ port: number; received: () => Buffer; close: () => Promise<void> }> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.once('data', async () => {
      for (let i = 0; i < reply.length && !socket.destroyed; i++) {
        socket.write(reply.subarray(i, i + 1));
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(received),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

test('RespConnection: pipelines in flight get their own replies, however the bytes arrive', async () => {
  const server = await fakeServer(Buffer.concat([bytes('+OK\r\n-ERR nope\r\n'), COMPOSITE, bytes(':1\r\n')]));
  const connection = await RespConnection.open({ host: '127.0.0.1', port: server.port });
  try {
    const first: readonly string[][] = [
      ['GET', 'a'],
      ['GET', 'b'],
    ];
    const second: readonly string[][] = [
      ['MGET', 'x', 'y'],
      ['EXISTS', 'é'],
    ];
    const [a, b] = await within(Promise.all([connection.pipeline(first), connection.pipeline(second)]));
    assert.equal(a[0], 'OK');
    assert.ok(a[1] instanceof RespError);
    assert.equal(a.length, 2);
    assertComposite(b[0]);
    assert.equal(b[1], 1);
    assert.equal(b.length, 2);
    assert.deepEqual(server.received(), Buffer.concat([...first, ...second].map(encodeCommand)));
    assert.deepEqual(await connection.pipeline([]), []);
    assert.equal(connection.closed, false);
  } finally {
    connection.close();
    await server.close();
  }
});

test('RespConnection: a protocol error fails the pipeline and closes the connection', async () => {
  const server = await fakeServer(bytes('+OK\r\n?garbage\r\n'));
  const connection = await RespConnection.open({ host: '127.0.0.1', port: server.port });
  try {
    await assert.rejects(
      within(
        connection.pipeline([
          ['GET', 'a'],
          ['GET', 'b'],
        ]),
      ),
      /protocol error/,
    );
    assert.equal(connection.closed, true);
    await assert.rejects(connection.pipeline([['GET', 'a']]), /protocol error/);
  } finally {
    connection.close();
    await server.close();
  }
});
