/**
 * The web configuration file (exporter-toolkit format): what it accepts, each thing it refuses, the basic-auth
 * check with its cache, and the reload that keeps the last good configuration.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compare as bcryptCompare, hashSync } from 'bcryptjs';
import { loadConfig } from '../../src/config/load.js';
import { BasicAuth, basicCredentials, type Compare } from '../../src/http/basic-auth.js';
import { WebAccess } from '../../src/http/web-access.js';
import { parseWebConfig, readWebConfig, type WebConfig, WebConfigError } from '../../src/http/web-config.js';
import type { Logger } from '../../src/log.js';
import { makeCertificates, type TestCertificates } from '../support/certificates.js';

const dir = mkdtempSync(join(process.env['TEST_TMP'] ?? tmpdir(), 'web-config-'));
let certs: TestCertificates;
let other: TestCertificates;
/** A cost-4 hash keeps the tests fast; the cost does not change what is checked. */
const ALICE_HASH = hashSync('alice-password', 4);
const BOB_HASH = hashSync('bob-password', 4);

before(() => {
  certs = makeCertificates(join(dir, 'certs'));
  other = makeCertificates(join(dir, 'other'), 'other-ca');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Parses a file written into the test folder. */
function parse(text: string): WebConfig {
  return readWebConfig(write('web.yml', text));
}

function refused(text: string, message: RegExp): void {
  assert.throws(
    () => parse(text),
    (error: unknown) => {
      assert.ok(error instanceof WebConfigError, String(error));
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/, 'one line');
      return true;
    },
  );
}

function tlsSection(extra = ''): string {
  return `tls_server_config:\n  cert_file: ${certs.cert}\n  key_file: ${certs.key}\n${extra}`;
}

describe('web configuration file: accepted', () => {
  test('an empty file, or one of comments, is plain HTTP without authentication', () => {
    for (const text of ['', '# nothing yet\n', '---\n']) {
      const config = parse(text);
      assert.equal(config.tls, undefined);
      assert.equal(config.users.size, 0);
      assert.deepEqual(config.headers, {});
    }
  });

  test('TLS with files relative to the file, users, headers; Go-only keys are listed as ignored', () => {
    const folder = join(dir, 'nested');
    const config = readWebConfig(
      write(
        'nested/web.yml',
        [
          'tls_server_config:',
          `  cert_file: ${relative(folder, certs.cert)}`,
          `  key_file: ${relative(folder, certs.key)}`,
          `  client_ca_file: ${relative(folder, certs.ca)}`,
          '  client_auth_type: RequireAndVerifyClientCert',
          '  min_version: TLS13',
          '  max_version: TLS13',
          '  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]',
          '  curve_preferences: [X25519]',
          '  prefer_server_cipher_suites: true',
          'http_server_config:',
          '  http2: false',
          '  headers:',
          "    Content-Security-Policy: default-src 'self'",
          '    x-frame-options: DENY',
          '    X-Content-Type-Options: nosniff',
          '    X-XSS-Protection: ""',
          '    Strict-Transport-Security: max-age=31536000',
          'basic_auth_users:',
          `  alice: ${ALICE_HASH}`,
          `  "bob smith": '${BOB_HASH}'`,
          '',
        ].join('\n'),
      ),
    );
    assert.ok(config.tls);
    assert.equal(config.tls.cert, readFileSync(certs.cert, 'utf8'));
    assert.equal(config.tls.key, readFileSync(certs.key, 'utf8'));
    assert.equal(config.tls.clientCa, readFileSync(certs.ca, 'utf8'));
    assert.equal(config.tls.clientAuth, 'RequireAndVerifyClientCert');
    assert.equal(config.tls.minVersion, 'TLSv1.3');
    assert.equal(config.tls.maxVersion, 'TLSv1.3');
    assert.deepEqual(
      [...config.users],
      [
        ['alice', ALICE_HASH],
        ['bob smith', BOB_HASH],
      ],
    );
    // Canonical names; a blank value unsets the header.
    assert.deepEqual(config.headers, {
      'Content-Security-Policy': "default-src 'self'",
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': 'max-age=31536000',
    });
    assert.deepEqual(config.ignored, [
      'tls_server_config.cipher_suites',
      'tls_server_config.curve_preferences',
      'tls_server_config.prefer_server_cipher_suites',
    ]);
    assert.deepEqual(config.files, [join(folder, 'web.yml'), certs.cert, certs.key, certs.ca]);
  });

  test('inline PEM texts, default versions and client auth type', () => {
    const indent = (path: string) => readFileSync(path, 'utf8').trimEnd().replace(/^/gm, '    ');
    const config = parse(`tls_server_config:\n  cert: |\n${indent(certs.cert)}\n  key: |\n${indent(certs.key)}\n`);
    assert.equal(config.tls?.cert.trim(), readFileSync(certs.cert, 'utf8').trim());
    assert.equal(config.tls?.clientAuth, 'NoClientCert');
    assert.equal(config.tls?.minVersion, 'TLSv1.2');
    assert.equal(config.tls?.maxVersion, 'TLSv1.3');
  });

  test('a TLS section without certificate, key, CA or client auth type is plain HTTP, as in exporter-toolkit', () => {
    assert.equal(parse('tls_server_config:\n  min_version: TLS13\n').tls, undefined);
    assert.equal(parse('tls_server_config:\n').tls, undefined);
  });

  test('bcrypt hashes as htpasswd ($2y$), Go ($2a$) and bcryptjs ($2b$) write them', () => {
    const tail = ALICE_HASH.slice(7);
    for (const prefix of ['$2y$04$', '$2a$10$', '$2b$12$', '$2$31$']) {
      const hash = `${prefix}${tail}`;
      assert.equal(parse(`basic_auth_users:\n  u: '${hash}'\n`).users.get('u'), hash);
    }
  });
});

describe('web configuration file: refused, with one line saying why', () => {
  test('not YAML, or not a mapping', () => {
    refused('basic_auth_users: [', /^not valid YAML: .*line 1/);
    refused('basic_auth_users: {}\nbasic_auth_users: {}\n', /^not valid YAML: Map keys must be unique/);
    refused('just text\n', /^the file must be a mapping/);
    refused('- a\n- b\n', /^the file must be a mapping/);
    refused('basic_auth_users: [alice]\n', /^basic_auth_users must be a mapping/);
    refused('tls_server_config: yes\n', /^tls_server_config must be a mapping/);
  });

  test('keys this exporter does not know or implement', () => {
    refused('tls_config: {}\n', /^unknown key tls_config at the top level$/);
    refused('rate_limit:\n  interval: 1s\n  burst: 5\n', /^rate_limit is not supported by this exporter/);
    refused(tlsSection('  client_allowed_sans: [a.example]\n'), /^tls_server_config\.client_allowed_sans is not supported/);
    refused(tlsSection('  certfile: x\n'), /^unknown key tls_server_config\.certfile$/);
    refused('http_server_config:\n  keepalive: true\n', /^unknown key http_server_config\.keepalive$/);
  });

  test('TLS: certificate and key', () => {
    refused(`tls_server_config:\n  key_file: ${certs.key}\n`, /^tls_server_config: missing cert_file \(or cert\)$/);
    refused(`tls_server_config:\n  cert_file: ${certs.cert}\n`, /^tls_server_config: missing key_file \(or key\)$/);
    refused(tlsSection('  cert: inline\n'), /^tls_server_config: give cert or cert_file, not both$/);
    const missing = join(dir, 'no-such.pem');
    refused(
      `tls_server_config:\n  cert_file: no-such.pem\n  key_file: ${certs.key}\n`,
      new RegExp(`^tls_server_config: cannot read cert_file ${JSON.stringify(missing).replace(/[.\\/]/g, '\\$&')}: ENOENT$`),
    );
    refused(`tls_server_config:\n  cert_file: ${certs.key}\n  key_file: ${certs.key}\n`, /the certificate is not a PEM certificate/);
    refused(`tls_server_config:\n  cert_file: ${certs.cert}\n  key_file: ${certs.cert}\n`, /the key is not a PEM private key/);
    refused(`tls_server_config:\n  cert_file: ${certs.cert}\n  key_file: ${other.key}\n`, /the key does not belong to the certificate/);
    refused(`tls_server_config:\n  cert_file: [a]\n  key_file: ${certs.key}\n`, /^tls_server_config\.cert_file must be a string$/);
  });

  test('an encrypted key is refused with the reason', () => {
    const encrypted = join(dir, 'encrypted.key');
    execFileSync('openssl', ['pkey', '-in', certs.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    refused(`tls_server_config:\n  cert_file: ${certs.cert}\n  key_file: ${encrypted}\n`, /the key is encrypted/);
  });

  test('TLS: client authentication and versions', () => {
    refused(
      tlsSection('  client_auth_type: RequireClientCert\n'),
      /^tls_server_config\.client_auth_type "RequireClientCert" is not one of NoClientCert,/,
    );
    refused(tlsSection('  client_auth_type: RequireAndVerifyClientCert\n'), /RequireAndVerifyClientCert needs client_ca_file/);
    refused(tlsSection('  client_auth_type: VerifyClientCertIfGiven\n'), /VerifyClientCertIfGiven needs client_ca_file/);
    refused(tlsSection(`  client_ca_file: ${certs.ca}\n`), /client_ca_file is set but client_auth_type is NoClientCert/);
    refused(
      tlsSection(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${certs.key}\n`),
      /the client CA is not a PEM certificate/,
    );
    refused(tlsSection('  min_version: TLS11\n'), /^tls_server_config\.min_version TLS11 is not supported .*use TLS12 or TLS13$/);
    refused(tlsSection('  max_version: TLS10\n'), /^tls_server_config\.max_version TLS10 is not supported/);
    refused(tlsSection('  min_version: "1.2"\n'), /^tls_server_config\.min_version "1\.2" is not a TLS version/);
    refused(tlsSection('  min_version: TLS13\n  max_version: TLS12\n'), /min_version is above max_version/);
  });

  test("headers outside exporter-toolkit's five, and values they do not allow", () => {
    for (const name of ['Authorization', 'Content-Type', 'Content-Length', 'Connection', 'WWW-Authenticate', 'Set-Cookie', 'X-Anything']) {
      refused(
        `http_server_config:\n  headers:\n    ${name}: x\n`,
        new RegExp(`^http_server_config\\.headers: ${name} cannot be set here \\(allowed: Content-Security-Policy,`),
      );
    }
    refused('http_server_config:\n  headers:\n    X-Frame-Options: allow\n', /X-Frame-Options must be deny or sameorigin/);
    refused('http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', /X-Content-Type-Options must be nosniff/);
    refused('http_server_config:\n  headers:\n    Content-Security-Policy: "a\\r\\nSet-Cookie: x"\n', /holds a control character/);
    refused('http_server_config:\n  headers:\n    Content-Security-Policy: 5\n', /Content-Security-Policy must be a string/);
    refused('http_server_config:\n  http2: maybe\n', /http2 must be true or false/);
  });

  test('users: names that basic auth cannot carry, and passwords that are not bcrypt hashes (never shown)', () => {
    refused(`basic_auth_users:\n  "a:b": ${ALICE_HASH}\n`, /user name "a:b" holds a colon/);
    refused(`basic_auth_users:\n  "": ${ALICE_HASH}\n`, /a user name is empty/);
    refused(`basic_auth_users:\n  "a\\tb": ${ALICE_HASH}\n`, /holds a control character/);
    for (const hash of [
      'plaintext-password',
      '$2y$10$short',
      '$2x$10$' + 'a'.repeat(53),
      '$2y$03$' + 'a'.repeat(53),
      '$2y$32$' + 'a'.repeat(53),
      '12345',
    ]) {
      assert.throws(
        () => parse(`basic_auth_users:\n  alice: '${hash}'\n`),
        (error: Error) => /the password of "alice" is not a bcrypt hash/.test(error.message) && !error.message.includes(hash),
      );
    }
  });

  test('a refused file names the files it read, so a fix of one of them is noticed', () => {
    try {
      parse(`tls_server_config:\n  cert_file: ${certs.cert}\n  key_file: missing.key\n`);
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof WebConfigError);
      assert.deepEqual(error.files, [join(dir, 'web.yml'), certs.cert, join(dir, 'missing.key')]);
    }
  });

  test('parseWebConfig reads named files through the reader it is given', () => {
    const read: string[] = [];
    const config = parseWebConfig(`tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n`, '/etc/exporter/web.yml', (path) => {
      read.push(path);
      return readFileSync(path.endsWith('c.pem') ? certs.cert : certs.key, 'utf8');
    });
    assert.deepEqual(read, ['/etc/exporter/c.pem', '/etc/exporter/k.pem']);
    assert.ok(config.tls);
  });
});

describe('the web_config_file setting', () => {
  test('read at start: flag, dotted flag of the Prometheus exporters, and environment', () => {
    const path = write('start.yml', `basic_auth_users:\n  alice: ${ALICE_HASH}\n`);
    for (const [argv, env] of [
      [['--web-config-file', path], {}],
      [[`--web.config.file=${path}`], {}],
      [[], { DISPATCHARR_EXPORTER_WEB_CONFIG_FILE: path }],
    ] as const) {
      const command = loadConfig(argv, env);
      assert.equal(command.kind, 'run');
      if (command.kind !== 'run') continue;
      assert.equal(command.config.settings.web_config_file, path);
      assert.equal(command.config.web?.path, path);
      assert.equal(command.config.web?.config.users.get('alice'), ALICE_HASH);
    }
    const none = loadConfig([], {});
    assert.ok(none.kind === 'run' && none.config.web === undefined && none.config.settings.web_config_file === '');
  });

  test('a bad file stops the start with one line naming the file, where it came from, and the problem', () => {
    const path = write('bad.yml', 'basic_auth_users:\n  alice: not-a-hash\n');
    assert.throws(
      () => loadConfig([`--web.config.file=${path}`], {}),
      new RegExp(
        `^ConfigError: invalid web_config_file "${path.replace(/[.\\/]/g, '\\$&')}" \\(from --web\\.config\\.file\\): basic_auth_users: the password of "alice" is not a bcrypt hash`,
      ),
    );
    assert.throws(
      () => loadConfig([], { DISPATCHARR_EXPORTER_WEB_CONFIG_FILE: join(dir, 'absent.yml') }),
      /invalid web_config_file ".*absent\.yml" \(from DISPATCHARR_EXPORTER_WEB_CONFIG_FILE\): cannot read the file: ENOENT$/,
    );
  });
});

/** bcryptjs' compare, counted. */
function countingCompare(): { compare: Compare; calls: { password: string; hash: string }[] } {
  const calls: { password: string; hash: string }[] = [];
  return {
    calls,
    compare: (password, hash) => {
      calls.push({ password, hash });
      return bcryptCompare(password, hash);
    },
  };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('basic auth', () => {
  const users = new Map([
    ['alice', ALICE_HASH],
    ['bob', BOB_HASH],
  ]);

  test('the Authorization header is read as RFC 7617 says', () => {
    assert.deepEqual(basicCredentials(basic('alice', 'pa:ss')), { user: 'alice', password: 'pa:ss' });
    assert.deepEqual(basicCredentials(`bAsIc ${Buffer.from('ü:ß').toString('base64')}`), { user: 'ü', password: 'ß' });
    for (const header of [undefined, '', 'Basic', 'Bearer abc', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Basic ***']) {
      assert.equal(basicCredentials(header), undefined, String(header));
    }
  });

  test('right password in; wrong password, unknown user and no header out', async () => {
    const { compare } = countingCompare();
    const auth = new BasicAuth(users, { compare });
    assert.equal(await auth.check(basic('alice', 'alice-password')), true);
    assert.equal(await auth.check(basic('bob', 'bob-password')), true);
    assert.equal(await auth.check(basic('alice', 'bob-password')), false);
    assert.equal(await auth.check(basic('carol', 'alice-password')), false);
    assert.equal(await auth.check(basic('Alice', 'alice-password')), false);
    assert.equal(await auth.check(undefined), false);
  });

  test('an unknown user costs a comparison against a hash of the same cost, which bcrypt accepts', async () => {
    const costly = new Map([['alice', hashSync('x', 6)]]);
    const calls: string[] = [];
    let failures = 0;
    const auth = new BasicAuth(costly, {
      compare: (password, hash) => {
        calls.push(hash);
        return bcryptCompare(password, hash).catch((error: unknown) => {
          failures++;
          throw error;
        });
      },
    });
    assert.equal(await auth.check(basic('mallory', 'x')), false);
    assert.equal(calls.length, 1);
    assert.match(calls[0] ?? '', /^\$2b\$06\$[./A-Za-z0-9]{53}$/);
    assert.notEqual(calls[0], costly.get('alice'));
    assert.equal(failures, 0, 'bcrypt ran the dummy comparison in full');
  });

  test('a verdict is cached: the second check answers at once without a bcrypt comparison', async () => {
    const { compare, calls } = countingCompare();
    const auth = new BasicAuth(users, { compare });
    const first = auth.check(basic('alice', 'alice-password'));
    assert.ok(first instanceof Promise);
    assert.equal(await first, true);
    assert.equal(auth.check(basic('alice', 'alice-password')), true, 'a plain boolean, not a promise');
    assert.equal(await auth.check(basic('alice', 'wrong')), false);
    assert.equal(auth.check(basic('alice', 'wrong')), false, 'a wrong password is cached too');
    assert.equal(calls.length, 2);
    assert.equal(calls[0]?.hash, ALICE_HASH);
  });

  test('concurrent checks of the same credentials share one comparison; comparisons run one at a time', async () => {
    let running = 0;
    let most = 0;
    let count = 0;
    const auth = new BasicAuth(users, {
      compare: async (password, hash) => {
        count++;
        running++;
        most = Math.max(most, running);
        try {
          return await bcryptCompare(password, hash);
        } finally {
          running--;
        }
      },
    });
    const verdicts = await Promise.all([
      auth.check(basic('alice', 'alice-password')),
      auth.check(basic('alice', 'alice-password')),
      auth.check(basic('bob', 'bob-password')),
      auth.check(basic('bob', 'nope')),
    ]);
    assert.deepEqual(verdicts, [true, true, true, false]);
    assert.equal(count, 3);
    assert.equal(most, 1);
  });

  test('verdicts expire after the TTL, and the cache keeps a bounded number', async () => {
    let now = 1_000;
    const { compare, calls } = countingCompare();
    const auth = new BasicAuth(users, { compare, now: () => now, ttlMs: 60_000, maxEntries: 3 });
    assert.equal(await auth.check(basic('alice', 'alice-password')), true);
    now += 59_000;
    assert.equal(auth.check(basic('alice', 'alice-password')), true);
    now += 2_000;
    assert.equal(await auth.check(basic('alice', 'alice-password')), true);
    assert.equal(calls.length, 2, 'compared again once expired');
    for (const password of ['a', 'b', 'c', 'd']) await auth.check(basic('bob', password));
    assert.equal(auth.cached, 3);
  });

  test('a flood of new passwords beyond the waiting room is refused at once, uncached', async () => {
    const { compare, calls } = countingCompare();
    const auth = new BasicAuth(users, { compare, maxWaiting: 2 });
    const checks = ['1', '2', '3', '4', '5'].map((p) => auth.check(basic('alice', p)));
    assert.deepEqual(await Promise.all(checks), [false, false, false, false, false]);
    assert.equal(calls.length, 3, 'one running and two waiting; the others not compared');
    assert.equal(await auth.check(basic('alice', 'alice-password')), true, 'free again');
  });

  test('with real bcrypt at cost 10, a cached check is far cheaper than the first', async () => {
    const auth = new BasicAuth(new Map([['alice', hashSync('pw', 10)]]));
    let started = performance.now();
    assert.equal(await auth.check(basic('alice', 'pw')), true);
    const first = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 100; i++) assert.equal(auth.check(basic('alice', 'pw')), true);
    const hundred = performance.now() - started;
    assert.ok(hundred < first, `100 cached checks (${hundred.toFixed(1)} ms) cost less than one bcrypt (${first.toFixed(1)} ms)`);
  });
});

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      lines.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('reload', () => {
  test('a good file applies, a bad one is logged and the last good one stays, TLS on/off waits for a restart', async () => {
    const path = write('reload/web.yml', `basic_auth_users:\n  alice: ${ALICE_HASH}\n`);
    const logger = capturingLogger();
    const access = new WebAccess(path, readWebConfig(path), logger);
    assert.equal(await access.authorize(basic('bob', 'bob-password')), false);

    writeFileSync(
      path,
      `basic_auth_users:\n  alice: ${ALICE_HASH}\n  bob: ${BOB_HASH}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
    );
    assert.equal(access.reload(), true);
    assert.equal(await access.authorize(basic('bob', 'bob-password')), true);
    assert.deepEqual(access.headers, { 'X-Frame-Options': 'deny' });

    writeFileSync(path, 'basic_auth_users:\n  bob: plain\n');
    assert.equal(access.reload(), false);
    assert.match(logger.lines.at(-1) ?? '', /^error web config file not applied; the previous configuration stays .*not a bcrypt hash/);
    assert.equal(await access.authorize(basic('bob', 'bob-password')), true, 'the last good configuration stays');

    writeFileSync(path, tlsSection());
    assert.equal(access.reload(), false);
    assert.match(logger.lines.at(-1) ?? '', /switching TLS on needs a restart/);
    assert.equal(access.tls, undefined);

    writeFileSync(path, '');
    assert.equal(access.reload(), true);
    assert.equal(access.authorize(undefined), true, 'no users: no authentication');
  });

  test('the watcher applies a change once the file holds still, including a change of a file it names', async () => {
    const path = write('watch/web.yml', `basic_auth_users:\n  alice: ${ALICE_HASH}\n`);
    const logger = capturingLogger();
    const access = new WebAccess(path, readWebConfig(path), logger, { pollMs: 20 });
    await access.watch();
    try {
      writeFileSync(path, `basic_auth_users:\n  bob: ${BOB_HASH}\n`);
      await until(async () => (await access.authorize(basic('bob', 'bob-password'))) === true);
      assert.equal(await access.authorize(basic('alice', 'alice-password')), false);

      // A file that names a missing key is refused; creating the key file makes it apply without touching the file.
      const key = join(dir, 'watch', 'late.key');
      writeFileSync(
        path,
        `basic_auth_users:\n  carol: ${ALICE_HASH}\ntls_server_config:\n  cert_file: ${certs.cert}\n  key_file: late.key\n`,
      );
      await until(async () => logger.lines.some((l) => /not applied.*late\.key.*ENOENT/.test(l)));
      assert.equal(await access.authorize(basic('carol', 'alice-password')), false);
      writeFileSync(key, readFileSync(certs.key));
      await until(async () => logger.lines.some((l) => /switching TLS on needs a restart/.test(l)));
    } finally {
      access.close();
    }
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
