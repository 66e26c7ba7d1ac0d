/** The text of `--help`, generated from the option table so it cannot drift from what is parsed. */
import { OPTIONS, type OptionKind, type OptionSpec } from './options.js';

const VALUE_NAMES: Readonly<Partial<Record<OptionKind, string>>> = {
  file: 'path',
  path: 'path',
  'http-url': 'url',
  'postgres-url': 'url',
  'redis-url': 'url',
  'ssl-mode': 'mode',
  'metrics-layout': 'v2|v3',
};

function usageOf(spec: OptionSpec): string {
  if (spec.flag === null) return '';
  return spec.kind === 'boolean' ? `${spec.flag}[=true|false]` : `${spec.flag} <${VALUE_NAMES[spec.kind] ?? spec.kind}>`;
}

export function helpText(version: string): string {
  const lines = [
    `dispatcharr-exporter ${version}: Prometheus exporter for Dispatcharr`,
    '',
    'Usage: dispatcharr-exporter [options]',
    '',
    'Each option can be given as a flag or an environment variable; flags win over the environment,',
    'the environment over defaults. Boolean flags accept --name, --name=false and --no-name.',
  ];
  let group = '';
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `${group}:`);
    }
    const names = [usageOf(spec), ...spec.env].filter(Boolean).join(', ');
    const fallback = spec.default === undefined ? '' : ` (default: ${spec.default === '' ? '""' : spec.default})`;
    lines.push(`  ${names}`, `      ${spec.help}${fallback}`);
  }
  lines.push('', '  --help, --version', '');
  return lines.join('\n');
}
