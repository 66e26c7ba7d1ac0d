/** Text exposition format 0.0.4: one contiguous block per family, HELP and TYPE first. */
import type { Labels, MetricFamily } from './family.js';
import { formatValue, pythonFloat } from './numbers.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  const pairs = names.map((name) => `${name}="${escapeLabelValue(labels[name] ?? '')}"`);
  return `{${pairs.join(',')}}`;
}

/**
 * Merges families that share a name (so each name is one block) and drops repeated series, keeping
 * the first. Input order is kept, which makes the output deterministic for a given snapshot.
 */
export function mergeFamilies(families: readonly MetricFamily[]): MetricFamily[] {
  const byName = new Map<string, { family: MetricFamily; samples: MetricFamily['samples'][number][]; seen: Set<string> }>();
  for (const family of families) {
    let entry = byName.get(family.name);
    if (!entry) {
      entry = { family, samples: [], seen: new Set() };
      byName.set(family.name, entry);
    }
    for (const s of family.samples) {
      const key = renderLabels(s.labels);
      if (entry.seen.has(key)) continue;
      entry.seen.add(key);
      entry.samples.push(s);
    }
  }
  return [...byName.values()].map(({ family, samples }) => ({ ...family, samples }));
}

export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of mergeFamilies(families)) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    const format = family.valueFormat === 'python-float' ? pythonFloat : formatValue;
    for (const s of family.samples) {
      const value = Number.isFinite(s.value) ? format(s.value) : formatValue(s.value);
      lines.push(`${family.name}${renderLabels(s.labels)} ${value}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
