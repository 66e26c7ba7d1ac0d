import assert from 'node:assert/strict';
import { test } from 'node:test';
import packageJson from '../../package.json' with { type: 'json' };
import { repositoryUrlOption } from '../../scripts/package/options.js';
import { MACHINES, PLUGIN_FOLDER, packedIndex, packedName } from '../../scripts/package/plugin-zip.js';
import { checkedRootUrl, REGISTRY_NAME, releaseUrl, repositoryManifest } from '../../scripts/package/repository.js';
import { checkImportLimits, IMPORT_LIMIT_BYTES, IMPORT_LIMIT_FILES, type ZipEntry } from '../../scripts/package/zip.js';

const plugin = {
  name: 'Dispatcharr Exporter',
  version: '1.2.3',
  description: 'Prometheus metrics',
  author: 'someone',
  min_dispatcharr_version: 'v0.15.0',
};

test('the repository manifest: one entry, relative to root_url, size in KiB', () => {
  const source = {
    plugin,
    zipPath: '/somewhere/dispatcharr-exporter-1.2.3.zip',
    rootUrl: 'https://example.org/exporter/',
    sourceUrl: 'https://github.com/o/r',
    license: 'MIT',
    lastUpdated: '2026-01-02T03:04:05.000Z',
  };
  assert.deepEqual(repositoryManifest(source, 'ab'.repeat(32), 1536), {
    registry_name: REGISTRY_NAME,
    registry_url: 'https://github.com/o/r',
    root_url: 'https://example.org/exporter',
    plugins: [
      {
        slug: PLUGIN_FOLDER,
        name: 'Dispatcharr Exporter',
        description: 'Prometheus metrics',
        author: 'someone',
        license: 'MIT',
        repo_url: 'https://github.com/o/r',
        latest_version: '1.2.3',
        last_updated: '2026-01-02T03:04:05.000Z',
        latest_url: 'dispatcharr-exporter-1.2.3.zip',
        latest_sha256: 'ab'.repeat(32),
        latest_size: 1.5,
        icon_url: 'logo.png',
        min_dispatcharr_version: 'v0.15.0',
      },
    ],
  });
});

test('registry name: none of the texts Dispatcharr refuses, nor "dispatcharr"', () => {
  for (const text of ['official', 'dispatcharr']) assert.ok(!REGISTRY_NAME.toLowerCase().includes(text), text);
});

test('the default root_url is the GitHub release of the version', () => {
  assert.equal(releaseUrl('https://github.com/o/r', '1.2.3'), 'https://github.com/o/r/releases/download/v1.2.3');
  assert.equal(releaseUrl('https://github.com/o/r/', '1.2.3'), 'https://github.com/o/r/releases/download/v1.2.3');
});

test('a repository URL must be absolute http(s) without query or fragment', () => {
  assert.equal(checkedRootUrl('http://127.0.0.1:8080/a/b//'), 'http://127.0.0.1:8080/a/b');
  assert.equal(checkedRootUrl('https://Example.org'), 'https://example.org');
  for (const bad of ['ftp://example.org/x', 'releases/v1', '', 'https://example.org/x?y=1', 'https://example.org/#top']) {
    assert.throws(() => checkedRootUrl(bad), new RegExp(`repository URL "${bad.replace(/[?.*]/g, '\\$&')}"`), bad);
  }
});

test('--repository-url, as one argument or two', () => {
  assert.equal(repositoryUrlOption(['--repository-url', 'https://a']), 'https://a');
  assert.equal(repositoryUrlOption(['x', '--repository-url=https://b']), 'https://b');
  assert.equal(repositoryUrlOption(['dist/folder']), undefined);
  assert.throws(() => repositoryUrlOption(['--repository-url']), /needs a URL/);
  assert.throws(() => repositoryUrlOption(['--repository-url', '--other']), /needs a URL/);
});

test('the packed-executable index names each file by the machine the launcher reports', () => {
  const index = JSON.parse(
    packedIndex(packageJson.version, [
      { arch: 'x64', xzPath: '/x', size: 10, sha256: 'a'.repeat(64) },
      { arch: 'arm64', xzPath: '/y', size: 20, sha256: 'b'.repeat(64) },
    ]),
  ) as unknown;
  assert.deepEqual(index, {
    version: packageJson.version,
    executables: {
      x86_64: { file: 'dispatcharr-exporter-linux-x64.xz', size: 10, sha256: 'a'.repeat(64) },
      aarch64: { file: 'dispatcharr-exporter-linux-arm64.xz', size: 20, sha256: 'b'.repeat(64) },
    },
  });
  assert.deepEqual(MACHINES, { x64: 'x86_64', arm64: 'aarch64' });
  assert.equal(packedName('arm64'), 'dispatcharr-exporter-linux-arm64.xz');
});

test("Dispatcharr's import limits: files and uncompressed bytes", () => {
  const entry = (size: number): ZipEntry => ({ name: 'f', source: Buffer.alloc(size), mode: 0o100644, compress: false });
  assert.equal(checkImportLimits([entry(10), entry(20)]), 30);
  assert.throws(() => checkImportLimits(Array.from({ length: IMPORT_LIMIT_FILES + 1 }, () => entry(0))), /2001 files/);
  assert.throws(() => checkImportLimits([entry(IMPORT_LIMIT_BYTES), entry(1)]), /209715201 bytes uncompressed/);
});
