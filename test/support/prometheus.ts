/** Real Prometheus tools: promtool's linter and a throwaway Prometheus server that scrapes targets. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { freePort, waitFor } from './ports.js';

/** `promtool check web-config FILE`: exit status and output. */
export function promtoolCheckWebConfig(file: string): { status: number | null; output: string } {
  const promtool = requireBinary('promtool', 'TEST_PROMTOOL', 'prometheus');
  const result = spawnSync(promtool, ['check', 'web-config', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

export function promtoolCheckMetrics(text: string): { status: number | null; findings: string[] } {
  const promtool = requireBinary('promtool', 'TEST_PROMTOOL', 'prometheus');
  const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const findings = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { status: result.status, findings };
}

export interface RunningPrometheus {
  readonly url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** How Prometheus scrapes the targets, when not plain HTTP without credentials (file names absolute). */
export interface ScrapeOptions {
  readonly scheme?: 'http' | 'https';
  readonly tls_config?: { readonly ca_file?: string; readonly cert_file?: string; readonly key_file?: string };
  readonly basic_auth?: { readonly username: string; readonly password: string };
}

/** The scrape options as lines of prometheus.yml at the depth of a scrape config's keys (JSON strings are YAML strings). */
function scrapeLines(options: ScrapeOptions): string[] {
  const lines: string[] = [];
  if (options.scheme) lines.push(`    scheme: ${options.scheme}`);
  for (const key of ['tls_config', 'basic_auth'] as const) {
    const section = options[key];
    if (!section) continue;
    lines.push(`    ${key}:`);
    for (const [name, value] of Object.entries(section)) if (value !== undefined) lines.push(`      ${name}: ${JSON.stringify(value)}`);
  }
  return lines;
}

/** `ruleFiles` (absolute paths) are loaded and evaluated every second. */
export async function startPrometheus(
  dir: string,
  targets: string[],
  scrape: ScrapeOptions = {},
  ruleFiles: readonly string[] = [],
): Promise<RunningPrometheus> {
  const binary = requireBinary('prometheus', 'TEST_PROMETHEUS', 'prometheus');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(ruleFiles.length > 0 ? ['rule_files:', ...ruleFiles.map((file) => `  - ${JSON.stringify(file)}`)] : []),
    'scrape_configs:',
    '  - job_name: dispatcharr',
    ...scrapeLines(scrape),
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const log = openSync(join(dir, 'prometheus.log'), 'a');
  const child = spawn(
    binary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', log, log] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'Prometheus to be ready',
    async () => {
      const response = await fetch(`${url}/-/ready`);
      if (!response.ok) throw new Error(`ready answered ${response.status}`);
    },
    30_000,
  );
  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
