import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { type OptionKind, PLUGIN_OPTIONS } from '../../src/config/options.js';
import type { Settings } from '../../src/config/settings.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { type ManifestField, manifestFields, PLUGIN_HELP_SECTION, pluginHelpUrl } from '../../scripts/plugin-manifest.js';

/** A web configuration file the exporter accepts (it reads the file at start). */
const WEB_CONFIG = join(mkdtempSync(join(process.env['TEST_TMP'] ?? tmpdir(), 'manifest-')), 'web.yml');
writeFileSync(WEB_CONFIG, 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');

/** A value other than the default for each kind a plugin setting can have. */
const EXAMPLES: Partial<Record<OptionKind, (field: ManifestField) => boolean | number | string>> = {
  boolean: (field) => field.default !== true,
  port: () => 9300,
  host: () => '127.0.0.1',
  path: () => WEB_CONFIG,
  'http-url': () => 'http://dispatcharr.lan:9191',
  'metrics-layout': (field) => field.options?.find((o) => o.value !== field.default)?.value ?? '',
};

/** Runs the launcher's own argument builder (plugin/plugin.py, from the source tree) on saved settings. */
function launcherArguments(settings: Record<string, unknown>, fields: readonly ManifestField[]): string[] {
  const script = [
    'import importlib.util, json, sys',
    "spec = importlib.util.spec_from_file_location('launcher', 'plugin/plugin.py')",
    'launcher = importlib.util.module_from_spec(spec)',
    'spec.loader.exec_module(launcher)',
    'data = json.load(sys.stdin)',
    "print(json.dumps(launcher.exporter_arguments(data['settings'], data['fields'], 'dispatcharr_exporter')))",
  ].join('\n');
  const out = execFileSync('python3', ['-c', script], { input: JSON.stringify({ settings, fields }), encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

function runSettings(argv: readonly string[]): Settings {
  const command = loadConfig(argv, {});
  assert.equal(command.kind, 'run');
  return (command as { config: { settings: Settings } }).config.settings;
}

test('plugin.json gets one field per plugin setting of the option table, defaults included', () => {
  const fields = manifestFields();
  assert.deepEqual(
    fields.map((f) => f.id),
    PLUGIN_OPTIONS.map((o) => o.key),
  );
  const defaults = runSettings([]);
  for (const field of fields) {
    assert.equal(field.default, defaults[field.id as keyof Settings], field.id);
    assert.ok(field.label && field.description && field.help_text === field.description, field.id);
  }
});

test('the launcher passes every field on, and the exporter reads each one back unchanged', () => {
  const fields = manifestFields();
  const saved: Record<string, unknown> = {};
  for (const spec of PLUGIN_OPTIONS) {
    const example = EXAMPLES[spec.kind];
    assert.ok(example, `add an example value for plugin settings of kind ${spec.kind} (${spec.key})`);
    const field = fields.find((f) => f.id === spec.key);
    assert.ok(field);
    saved[spec.key] = example(field);
  }
  const argv = launcherArguments(saved, fields);
  assert.ok(argv.includes('--plugin-key'));
  const settings = runSettings(argv);
  for (const spec of PLUGIN_OPTIONS) assert.equal(settings[spec.key], saved[spec.key], spec.key);

  // Nothing saved yet (Dispatcharr 0.15 stores {} until the first save): the exporter runs with its defaults.
  assert.deepEqual(runSettings(launcherArguments({}, fields)), runSettings([]));
});

test("the plugin's help link points at the README section for plugin users", () => {
  const url = pluginHelpUrl(packageJson.homepage);
  assert.match(url, /^https:\/\/\S+#installing-as-a-dispatcharr-plugin$/);
  const headings = readFileSync('README.md', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) =>
      line
        .replace(/^#+\s*/, '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
  assert.ok(headings.includes(PLUGIN_HELP_SECTION), `README has no heading for #${PLUGIN_HELP_SECTION}`);
  assert.throws(() => pluginHelpUrl(undefined), /no homepage/);
});
