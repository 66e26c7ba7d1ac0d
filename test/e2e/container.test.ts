/**
 * The container image that `npm run image` builds, on a real Docker engine (a private dockerd when this runs as
 * root, else the engine the docker CLI reaches): it serves Dispatcharr's metrics from the test PostgreSQL and
 * Redis with Dispatcharr's variable names, runs as non-root with no capabilities, holds no shell and nothing but
 * the executable and its libraries, and stops on SIGTERM. Without an engine the image tests skip, except in CI.
 * Also the shipped examples: the compose sidecar and the Prometheus configuration.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import { type BuiltImage, buildImage, packagedExecutable } from '../../scripts/image/build.js';
import { type DockerEngine, DockerUnavailable, docker, existingEngine, startPrivateEngine } from '../../scripts/image/engine.js';
import { OPTIONS } from '../../src/config/options.js';
import { seedDataset } from '../fixtures/dataset.js';
import { requireBinary } from '../support/binaries.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { postgresEnv } from '../support/exporter.js';
import { parseExposition, sampleValue } from '../support/exposition.js';
import { freePort, waitFor } from '../support/ports.js';
import { EMPTY_REDIS_DB, redisEnv } from '../support/redis.js';

const containerDir = fileURLToPath(new URL('../../container/', import.meta.url));
const inCi = Boolean(process.env['CI']) && process.env['CI'] !== 'false';
const NON_ROOT = 65532;

interface ComposeService {
  image?: string;
  network_mode?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  ports?: string[];
  environment?: Record<string, string | number | boolean>;
}

function composeExample(): Record<string, ComposeService> {
  return (parse(readFileSync(`${containerDir}compose.example.yml`, 'utf8')) as { services: Record<string, ComposeService> }).services;
}

function composeExporter(): ComposeService {
  const service = composeExample()['dispatcharr-exporter'];
  assert.ok(service, 'compose.example.yml has no dispatcharr-exporter service');
  return service;
}

/** A private dockerd keeps the test's images and containers away from any engine the machine already runs. */
async function engineForTests(): Promise<DockerEngine> {
  try {
    return await startPrivateEngine();
  } catch (error) {
    if (!(error instanceof DockerUnavailable)) throw error;
    const existing = existingEngine();
    if (existing) return existing;
    throw error;
  }
}

describe('container image', { timeout: 240_000 }, () => {
  let engine: DockerEngine | undefined;
  let unavailable = '';
  let image: BuiltImage;
  let db: TestDatabase;
  const containers: string[] = [];

  /** False, with the test skipped, when no engine runs here; CI must have one. */
  function haveDocker(t: TestContext): boolean {
    if (engine) return true;
    if (inCi) throw new Error(`CI must run the container tests, but no Docker engine: ${unavailable}`);
    t.skip(`no Docker engine: ${unavailable}`);
    return false;
  }

  function run(args: string[], env?: NodeJS.ProcessEnv): { ok: boolean; stdout: string; stderr: string } {
    if (!engine) throw new Error('no engine');
    return docker(env ?? engine.env, args);
  }

  function inspect(target: string, format: string): string {
    const result = run(['inspect', '--format', format, target]);
    assert.ok(result.ok, result.stderr);
    return result.stdout.trim();
  }

  /** Starts the exporter's container the way compose.example.yml does, with `env` as its environment. */
  function startContainer(env: Record<string, string>): string {
    if (!engine) throw new Error('no engine');
    const name = `dispatcharr-exporter-test-${process.pid}-${containers.length}`;
    // `--env NAME` takes the value from the CLI's environment, so no password shows on a command line.
    const passed = Object.keys(env).flatMap((key) => ['--env', key]);
    const started = run(
      [
        'run',
        '--detach',
        '--name',
        name,
        '--network',
        'host',
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges:true',
        ...passed,
        image.id,
      ],
      { ...engine.env, ...env },
    );
    assert.ok(started.ok, started.stderr);
    containers.push(name);
    return name;
  }

  before(async () => {
    try {
      engine = await engineForTests();
    } catch (error) {
      if (!(error instanceof DockerUnavailable)) throw error;
      unavailable = error.message;
      return;
    }
    image = buildImage(
      engine,
      packagedExecutable(() => undefined),
      [`dispatcharr-exporter:test-${process.pid}`],
    );
    db = await createTestDatabase('v0.29', 'container');
    await seedDataset(db);
  });

  after(async () => {
    if (!engine) return;
    for (const name of containers) run(['rm', '--force', name]);
    // An engine of the machine's own keeps nothing of the test's; a private one goes away whole.
    if (!engine.isPrivate && image) run(['image', 'rm', '--force', ...image.tags]);
    await engine.stop();
    await db?.drop();
  });

  test('serves /metrics from PostgreSQL and Redis configured with Dispatcharr variables, as non-root, and stops on SIGTERM', async (t) => {
    if (!haveDocker(t)) return;
    const port = await freePort();
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(composeExporter().environment ?? {}).map(([key, value]) => [key, String(value)])),
      ...postgresEnv(db.url),
      ...redisEnv(EMPTY_REDIS_DB),
      DISPATCHARR_EXPORTER_HOST: '127.0.0.1',
      DISPATCHARR_EXPORTER_PORT: String(port),
    };
    const name = startContainer(env);
    const metrics = await waitFor(
      'the container to serve dispatcharr_up 1',
      async () => {
        if (inspect(name, '{{.State.Running}}') !== 'true') throw new Error(`the container exited: ${run(['logs', name]).stderr}`);
        const families = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
        if (sampleValue(families, 'dispatcharr_up') !== 1) throw new Error('dispatcharr_up is not 1 yet');
        return families;
      },
      30_000,
      200,
    );
    assert.equal(sampleValue(metrics, 'dispatcharr_redis_up'), 1);
    const collectors = metrics.get('dispatcharr_exporter_collector_success')?.samples ?? [];
    assert.ok(collectors.length > 0);
    for (const sample of collectors) assert.equal(sample.value, '1', `collector ${sample.labels['collector']} failed`);

    // The kernel's view of the container's process, not only the image's configuration.
    const status = readFileSync(`/proc/${inspect(name, '{{.State.Pid}}')}/status`, 'utf8');
    const field = (key: string) => status.match(new RegExp(`^${key}:\\s+(.*)$`, 'm'))?.[1]?.split(/\s+/) ?? [];
    assert.deepEqual(field('Uid'), Array(4).fill(String(NON_ROOT)));
    assert.deepEqual(field('Gid'), Array(4).fill(String(NON_ROOT)));
    assert.deepEqual(field('CapEff'), ['0000000000000000']);
    assert.deepEqual(field('NoNewPrivs'), ['1']);

    const stopping = Date.now();
    assert.ok(run(['stop', '--time', '20', name]).ok);
    assert.ok(Date.now() - stopping < 10_000, 'the exporter, as PID 1, did not stop on SIGTERM');
    assert.equal(inspect(name, '{{.State.ExitCode}}'), '0');
  });

  test('holds the executable, its libraries and its user only: no shell', (t) => {
    if (!haveDocker(t)) return;
    const created = run(['create', image.id]);
    assert.ok(created.ok, created.stderr);
    const id = created.stdout.trim();
    containers.push(id);
    const listing = spawnSync('bash', ['-o', 'pipefail', '-c', 'docker export "$1" | tar -tvf -', 'export', id], {
      env: engine?.env,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    assert.equal(listing.status, 0, listing.stderr);
    const entries = listing.stdout
      .trim()
      .split('\n')
      .map((line) => ({ type: line[0], size: Number(line.split(/\s+/)[2]), path: `/${line.split(/\s+/)[5] ?? ''}` }));
    const files = entries.filter((e) => e.type === '-' && e.size > 0).map((e) => e.path);
    const etc = ['/etc/group', '/etc/nsswitch.conf', '/etc/passwd'];
    assert.deepEqual(files.sort(), [...image.files, ...etc].sort());
    // What Docker itself puts in every container (empty mount points and the mtab link).
    const dockerMade = ['/.dockerenv', '/dev/console', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/mtab'];
    const others = entries.filter((e) => e.type !== 'd' && !(e.type === '-' && e.size > 0)).map((e) => e.path);
    assert.deepEqual(
      others.filter((path) => !dockerMade.includes(path)),
      [],
    );

    const shell = run(['run', '--rm', '--network', 'host', '--entrypoint', '/bin/sh', image.id, '-c', 'true']);
    assert.equal(shell.ok, false);
    assert.match(shell.stderr, /no such file or directory/);
    const version = run(['run', '--rm', '--network', 'host', image.id, '--version']);
    assert.equal(version.stdout.trim(), `dispatcharr-exporter ${packageJson.version}`);
  });

  test('is configured as a non-root exporter and labelled with the package version', (t) => {
    if (!haveDocker(t)) return;
    const config = JSON.parse(inspect(image.id, '{{json .Config}}')) as {
      User: string;
      ExposedPorts: Record<string, unknown>;
      Entrypoint: string[];
      Labels: Record<string, string>;
    };
    assert.equal(config.User, `${NON_ROOT}:${NON_ROOT}`);
    assert.deepEqual(Object.keys(config.ExposedPorts), ['9192/tcp']);
    assert.deepEqual(config.Entrypoint, ['/usr/local/bin/dispatcharr-exporter']);
    assert.equal(config.Labels['org.opencontainers.image.version'], packageJson.version);
    assert.equal(config.Labels['org.opencontainers.image.licenses'], packageJson.license);
    assert.equal(config.Labels['org.opencontainers.image.title'], packageJson.name);
    assert.ok(image.sizeBytes < 200e6, `image of ${image.sizeBytes} bytes`);
  });
});

test('the compose example runs this version as a sidecar of Dispatcharr, with variables the exporter reads', () => {
  const services = composeExample();
  const exporter = composeExporter();
  assert.equal(exporter.image, `dispatcharr-exporter:${packageJson.version}`);
  assert.equal(exporter.network_mode, 'service:dispatcharr');
  assert.ok(services['dispatcharr']?.ports?.includes('9192:9192'), 'the exporter port is published on the dispatcharr service');
  assert.equal(exporter.read_only, true);
  assert.deepEqual(exporter.cap_drop, ['ALL']);
  assert.deepEqual(exporter.security_opt, ['no-new-privileges:true']);

  const known = new Set(OPTIONS.flatMap((option) => option.env));
  const names = Object.keys(exporter.environment ?? {});
  assert.deepEqual(
    names.filter((name) => !known.has(name)),
    [],
  );
  // Dispatcharr's own names for its PostgreSQL and Redis, so the values can be copied from its compose file.
  for (const name of ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'REDIS_HOST', 'REDIS_PORT']) {
    assert.ok(names.includes(name), `${name} is missing`);
  }
});

test('promtool accepts the example Prometheus configuration and the rules it loads', () => {
  const promtool = requireBinary('promtool', 'TEST_PROMTOOL', 'prometheus');
  const check = spawnSync(promtool, ['check', 'config', 'prometheus.example.yml'], { cwd: containerDir, encoding: 'utf8' });
  const output = `${check.stdout}${check.stderr}`;
  assert.equal(check.status, 0, output);
  assert.match(output, /SUCCESS: [1-9]\d* rules found/);
  const config = parse(readFileSync(`${containerDir}prometheus.example.yml`, 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const job = config.scrape_configs.find((c) => c.job_name === 'dispatcharr');
  assert.deepEqual(job?.static_configs[0]?.targets, ['dispatcharr:9192']);
});
