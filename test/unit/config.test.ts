import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { helpText } from '../../src/config/help.js';
import { loadConfig } from '../../src/config/load.js';
import { OPTIONS } from '../../src/config/options.js';
import type { Config } from '../../src/config/settings.js';
import { defaultSettings } from '../support/settings.js';

function config(argv: string[], env: Record<string, string> = {}): Config {
  const command = loadConfig(argv, env);
  assert.equal(command.kind, 'run');
  return (command as { config: Config }).config;
}

function failure(argv: string[], env: Record<string, string> = {}): string {
  try {
    loadConfig(argv, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return error.message;
  }
  assert.fail('configuration was accepted');
}

test('defaults are the seed plugin defaults and Dispatcharr connection defaults', () => {
  const c = config([]);
  assert.deepEqual(c.settings, defaultSettings());
  assert.deepEqual(c.postgres, { host: 'localhost', port: 5432, database: 'dispatcharr', user: 'dispatch', password: 'secret' });
  assert.deepEqual(c.redis, { host: 'localhost', port: 6379, db: 0, tls: false });
  assert.equal(c.logLevel, 'info');
  assert.equal(c.scrapeTimeoutSeconds, 10);
  assert.deepEqual(c.dispatcharr, {});
});

test('flags win over the environment, the environment over defaults', () => {
  const env = { DISPATCHARR_EXPORTER_PORT: '9300', DISPATCHARR_EXPORTER_INCLUDE_EPG_STATS: 'yes', POSTGRES_HOST: 'db' };
  const c = config(['--port', '9400', '--postgres-host=/var/run/postgresql'], env);
  assert.equal(c.settings.port, 9400);
  assert.equal(c.settings.include_epg_stats, true);
  assert.equal(c.postgres.host, '/var/run/postgresql');
});

test('boolean flags accept a bare name, =value and --no-name', () => {
  assert.equal(config(['--include-client-stats']).settings.include_client_stats, true);
  assert.equal(config(['--include-m3u-stats=false']).settings.include_m3u_stats, false);
  assert.equal(config(['--no-include-m3u-stats']).settings.include_m3u_stats, false);
  assert.equal(config(['--include-vod-stats=ON']).settings.include_vod_stats, true);
});

test('Dispatcharr variable names configure the connections', () => {
  const c = config([], {
    POSTGRES_HOST: 'db',
    POSTGRES_PORT: '5436',
    POSTGRES_DB: 'd',
    POSTGRES_USER: 'u',
    POSTGRES_PASSWORD: 'p',
    REDIS_HOST: 'redis',
    REDIS_PORT: '6380',
    REDIS_DB: '2',
    REDIS_USER: 'ru',
    REDIS_PASSWORD: 'rp',
    DISPATCHARR_VERSION: '0.29.0',
  });
  assert.deepEqual(c.postgres, { host: 'db', port: 5436, database: 'd', user: 'u', password: 'p' });
  assert.deepEqual(c.redis, { host: 'redis', port: 6380, db: 2, user: 'ru', password: 'rp', tls: false });
  assert.equal(c.dispatcharr.version, '0.29.0');
});

test('a URL wins over single variables at its level, and flags still win over it', () => {
  const env = {
    POSTGRES_HOST: 'ignored',
    DATABASE_URL: 'postgres://u%40x:p%2Fw@pg.example:6000/dispatch',
    REDIS_URL: 'rediss://:pw@r.example:7000/3',
  };
  const c = config(['--postgres-db', 'fromflag'], env);
  assert.deepEqual(c.postgres, { host: 'pg.example', port: 6000, database: 'fromflag', user: 'u@x', password: 'p/w' });
  assert.deepEqual(c.redis, {
    host: 'r.example',
    port: 7000,
    db: 3,
    password: 'pw',
    tls: true,
    tlsOptions: { verify: true, verifyHost: true },
  });
  const socket = config([], { DATABASE_URL: 'postgresql://dispatch@/dispatcharr?host=/var/run/postgresql' });
  assert.equal(socket.postgres.host, '/var/run/postgresql');
});

test('DATABASE_URL and REDIS_URL parameters are honoured, and any other parameter is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'url-'));
  writeFileSync(join(dir, 'root.pem'), 'ROOT PEM');
  const pg = config([], {
    DATABASE_URL: `postgres://u:p@db/d?sslmode=verify-ca&sslrootcert=${join(dir, 'root.pem')}&application_name=mine`,
  }).postgres;
  assert.deepEqual(pg.tls, { verify: true, verifyHost: false, ca: 'ROOT PEM' });
  assert.equal(pg.applicationName, 'mine');
  assert.deepEqual(config([], { DATABASE_URL: 'postgres://u:p@db/d?sslmode=require' }).postgres.tls, { verify: false, verifyHost: false });
  assert.equal(config([], { POSTGRES_SSL: 'true', DATABASE_URL: 'postgres://u:p@db/d?sslmode=disable' }).postgres.tls, undefined);
  const socket = config([], { DATABASE_URL: 'postgresql://dispatch@/dispatcharr?host=/run/postgresql&port=5433' }).postgres;
  assert.deepEqual([socket.host, socket.port], ['/run/postgresql', 5433]);
  assert.match(
    failure([], { DATABASE_URL: 'postgres://u:p@db/d?connect_timeout=5' }),
    /unsupported parameter "connect_timeout" in database_url/,
  );
  assert.match(failure([], { DATABASE_URL: 'postgres://u:p@db/d?sslmode=prefer' }), /prefer may fall back to plain text/);
  assert.match(failure([], { DATABASE_URL: 'postgres://u:p@db/d?port=0' }), /invalid database_url port "0"/);
  const redis = config([], { REDIS_URL: 'rediss://r:6380?db=2&ssl_cert_reqs=none' }).redis;
  assert.deepEqual([redis.db, redis.tls, redis.tlsOptions?.verify], [2, true, false]);
  assert.match(failure([], { REDIS_URL: 'redis://r?socket_timeout=5' }), /unsupported parameter "socket_timeout" in redis_url/);
});

test('--postgres-ssl-mode is checked even without --postgres-ssl', () => {
  assert.match(failure(['--postgres-ssl-mode', 'bogus']), /invalid postgres_ssl_mode "bogus"/);
  assert.match(failure(['--postgres-ssl-mode', 'prefer']), /prefer may fall back to plain text/);
  assert.equal(config(['--postgres-ssl-mode', 'disable', '--postgres-ssl']).postgres.tls, undefined);
});

test('password files win over password variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'pg'), 'from-file\n');
  writeFileSync(join(dir, 'redis'), 'redis-file');
  const c = config([], { POSTGRES_PASSWORD: 'env', POSTGRES_PASSWORD_FILE: join(dir, 'pg'), REDIS_PASSWORD_FILE: join(dir, 'redis') });
  assert.equal(c.postgres.password, 'from-file');
  assert.equal(c.redis.password, 'redis-file');
});

test('bad values are refused with one line naming the setting, the value and where it came from', () => {
  assert.match(failure(['--port', '0']), /invalid port "0" \(from --port\)/);
  assert.match(failure(['--port=70000']), /invalid port "70000"/);
  assert.match(
    failure([], { DISPATCHARR_EXPORTER_INCLUDE_EPG_STATS: 'maybe' }),
    /invalid include_epg_stats "maybe" \(from DISPATCHARR_EXPORTER_INCLUDE_EPG_STATS\): expected true or false/,
  );
  assert.match(failure(['--unknown-flag']), /unknown flag --unknown-flag/);
  assert.match(failure(['stray']), /unexpected argument "stray"/);
  assert.match(failure(['--port']), /flag --port needs a value/);
  assert.match(failure(['--postgres-password-file', '/no/such/file']), /cannot read postgres_password_file "\/no\/such\/file".*ENOENT/);
  assert.match(failure(['--log-level', 'loud']), /invalid log_level "loud"/);
  assert.match(failure(['--base-url', 'ftp://x']), /invalid base_url/);
  assert.match(failure(['--scrape-timeout', '-1']), /invalid scrape_timeout/);
  assert.match(failure([], { REDIS_DB: 'two' }), /invalid redis_db "two" \(from REDIS_DB\)/);
});

test('every value given is checked at start, even one no other setting would read', () => {
  assert.match(failure(['--postgres-ssl-mode', 'bogus']), /invalid postgres_ssl_mode "bogus" \(from --postgres-ssl-mode\)/);
  assert.match(failure([], { REDIS_SSL_CA_CERT: '/no/such/ca.pem' }), /cannot read redis_ssl_ca_cert/);
  assert.match(failure([], { REDIS_URL: 'http://r' }), /invalid redis_url/);
});

test('a malformed URL is reported with the real reason and without any part of its credentials', () => {
  const cases: [string, RegExp][] = [
    ['postgres://u:pa/ss-hunter2@h/db', /percent-encoded|%2F/],
    ['postgres://u:pa#ss-hunter2@h/db', /%23/],
    ['postgres://u:12/hunter2@h/db', /%2F/],
    ['postgres://u:50%zz-hunter2@h/db', /holds a % that is no percent-encoding/],
    ['postgres://u:hunter2@h:99999/db', /check the host and port/],
  ];
  for (const [url, reason] of cases) {
    const message = failure([], { DATABASE_URL: url });
    assert.match(message, reason, url);
    assert.doesNotMatch(message, /expected a URL starting with/, url);
    assert.ok(!message.includes('hunter2') && !message.includes('pa/ss') && !message.includes('50%zz'), message);
  }
  assert.equal(config([], { DATABASE_URL: 'postgres://u:p%2Fw%23x@h/db' }).postgres.password, 'p/w#x');
});

test('a password in a URL flag is accepted with a warning pointing to the environment', () => {
  const c = config(['--database-url', 'postgres://u:pw@h/db', '--redis-url=redis://:pw@r:6379/0']);
  assert.equal(c.warnings.length, 2);
  assert.match(c.warnings[0] ?? '', /--database-url flag holds a password.*POSTGRES_PASSWORD_FILE/);
  assert.ok(!c.warnings.join().includes('pw@'));
  assert.deepEqual(config([], { DATABASE_URL: 'postgres://u:pw@h/db' }).warnings, []);
});

test('a bad database URL is reported without its password', () => {
  const message = failure([], { DATABASE_URL: 'mysql://u:hunter2@h/db' });
  assert.match(message, /database_url/);
  assert.ok(!message.includes('hunter2'), message);
});

test('--help lists every flag and variable; passwords have no flag', () => {
  const text = helpText('1.2.3');
  for (const option of OPTIONS) {
    if (option.flag) assert.ok(text.includes(option.flag), option.flag);
    for (const name of option.env) assert.ok(text.includes(name), name);
  }
  assert.throws(() => loadConfig(['--postgres-password', 'x'], {}), /unknown flag/);
  assert.equal(loadConfig(['--help'], {}).kind, 'help');
  assert.equal(loadConfig(['--version'], {}).kind, 'version');
});

test("Dispatcharr's TLS variables: modes, certificate files, rediss URLs", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-'));
  writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
  const c = config([], {
    POSTGRES_SSL: 'true',
    POSTGRES_SSL_MODE: 'verify-ca',
    POSTGRES_SSL_CA_CERT: join(dir, 'ca.pem'),
    REDIS_SSL: 'true',
    REDIS_SSL_VERIFY: 'false',
  });
  assert.deepEqual(c.postgres.tls, { verify: true, verifyHost: false, ca: 'CA PEM' });
  assert.equal(c.redis.tls, true);
  assert.deepEqual(c.redis.tlsOptions, { verify: false, verifyHost: false });
  assert.equal(config([]).postgres.tls, undefined);
  assert.equal(config([], { REDIS_URL: 'rediss://r:6380' }).redis.tls, true);
  assert.match(
    failure([], { POSTGRES_SSL: 'yes', POSTGRES_SSL_MODE: 'prefer' }),
    /invalid postgres_ssl_mode "prefer" \(from POSTGRES_SSL_MODE\): prefer may fall back to plain text/,
  );
  assert.match(
    failure([], { POSTGRES_SSL: 'yes', POSTGRES_SSL_CA_CERT: '/missing.pem' }),
    /cannot read postgres_ssl_ca_cert "\/missing.pem"/,
  );
});

test('the base URL loses its trailing slash', () => {
  assert.equal(config(['--base-url', 'http://dispatcharr.lan:9191/']).settings.base_url, 'http://dispatcharr.lan:9191');
});
