import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl, withoutCredentials } from '../../src/redact.js';
import { requestFor } from '../../src/sources/dispatcharr-version.js';

test('passwords in the user-info part and secret query parameters are replaced', () => {
  assert.equal(redactUrl('http://user:pw@host:8080/x'), 'http://user:REDACTED@host:8080/x');
  assert.equal(
    redactUrl('http://b.example/get.php?username=bob&password=s3cret&type=m3u_plus'),
    'http://b.example/get.php?username=bob&password=REDACTED&type=m3u_plus',
  );
  assert.equal(redactUrl('https://epg.example/g.xml?token=abc&api_key=k'), 'https://epg.example/g.xml?token=REDACTED&api_key=REDACTED');
});

test('URLs without secrets are returned exactly as written', () => {
  assert.equal(redactUrl('http://provider.example:8080'), 'http://provider.example:8080');
  assert.equal(redactUrl(''), '');
});

test('text that is not a URL still loses anything shaped like a credential', () => {
  assert.equal(redactUrl('host//u:p@x'), 'host//u:REDACTED@x');
  assert.equal(redactUrl('not a url ?password=hunter2&x=1'), 'not a url ?password=REDACTED&x=1');
});

test('links lose their credentials entirely; a request carries them as a Basic header instead', () => {
  assert.equal(withoutCredentials('http://admin:pw@d.lan:9191'), 'http://d.lan:9191');
  assert.equal(withoutCredentials('https://token@d.lan/x?api_key=k&y=1'), 'https://d.lan/x?api_key=REDACTED&y=1');
  assert.equal(withoutCredentials('http://d.lan:9191'), 'http://d.lan:9191');
  const request = requestFor('http://admin:p%40ss@d.lan:9191/api/core/version/');
  assert.equal(request.url, 'http://d.lan:9191/api/core/version/');
  assert.equal(request.headers['authorization'], `Basic ${Buffer.from('admin:p@ss').toString('base64')}`);
  assert.equal(requestFor('http://d.lan/api/core/version/').headers['authorization'], undefined);
});
