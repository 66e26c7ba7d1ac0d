/**
 * The plugin.json that goes into the zip: plugin/plugin.json (name, description, actions...) with the
 * version from package.json and one settings field per plugin option of the exporter's option table, so
 * a new setting reaches Dispatcharr's Plugins page (and the launcher, which passes every field on) without
 * an edit here.
 */
import { readFileSync } from 'node:fs';
import { PLUGIN_OPTIONS, type PluginOption } from '../src/config/options.js';
import { METRICS_LAYOUTS, PARSERS } from '../src/config/values.js';

export interface ManifestField {
  readonly id: string;
  readonly label: string;
  readonly type: 'boolean' | 'number' | 'string' | 'select';
  /** For select fields (every Dispatcharr from 0.15 renders them). */
  readonly options?: readonly { readonly value: string; readonly label: string }[];
  readonly default: boolean | number | string;
  /** Shown by Dispatcharr 0.15-0.18. */
  readonly help_text: string;
  /** Shown by Dispatcharr 0.19 and later. */
  readonly description: string;
}

function fieldType(spec: PluginOption): ManifestField['type'] {
  if (spec.kind === 'boolean') return 'boolean';
  if (spec.kind === 'port') return 'number';
  if (spec.kind === 'metrics-layout') return 'select';
  return 'string';
}

const SELECT_OPTIONS: Partial<Record<PluginOption['kind'], ManifestField['options']>> = {
  'metrics-layout': METRICS_LAYOUTS.map((layout) => ({ value: layout, label: layout })),
};

export function manifestFields(): ManifestField[] {
  return PLUGIN_OPTIONS.map((spec) => {
    const help = spec.plugin.help ?? spec.help;
    const fallback = PARSERS[spec.kind]({ key: spec.key, value: spec.default, origin: 'default' });
    const options = SELECT_OPTIONS[spec.kind];
    const field = { id: spec.key, label: spec.plugin.label, type: fieldType(spec), default: fallback, help_text: help, description: help };
    return options ? { ...field, options } : field;
  });
}

/** The README section for plugin users; Dispatcharr shows help_url as the plugin's help link. */
export const PLUGIN_HELP_SECTION = 'installing-as-a-dispatcharr-plugin';

/** The plugin's help link: the package's homepage (its README), at the section for plugin users. */
export function pluginHelpUrl(homepage: string | undefined): string {
  if (!homepage) throw new Error('package.json has no homepage for the plugin help link');
  return `${homepage.replace(/#.*$/, '')}#${PLUGIN_HELP_SECTION}`;
}

/** The browsable address of a package.json repository URL (`git+https://host/x.git` -> `https://host/x`). */
export function sourceUrl(repositoryUrl: string): string {
  return repositoryUrl.replace(/^git\+/, '').replace(/\.git$/, '');
}

export function pluginManifest(templatePath: string, version: string, helpUrl: string): string {
  const manifest = JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, unknown>;
  manifest['version'] = version;
  manifest['help_url'] = helpUrl;
  manifest['fields'] = manifestFields();
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
