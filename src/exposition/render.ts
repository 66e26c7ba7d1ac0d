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
 * Writes the families in input order. Families that share a name are merged into the first one's
 * block, and a repeated series (same name and labels) is written once, the first one winning, so the
 * output is deterministic for a given snapshot.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const blocks = new Map<string, { head: MetricFamily; lines: string[]; seen: Set<string> }>();
  for (const family of families) {
    let block = blocks.get(family.name);
    if (!block) {
      block = { head: family, lines: [], seen: new Set() };
      blocks.set(family.name, block);
    }
    const format = family.valueFormat === 'python-float' ? pythonFloat : formatValue;
    for (const s of family.samples) {
      const labels = renderLabels(s.labels);
      if (block.seen.has(labels)) continue;
      block.seen.add(labels);
      const value = Number.isFinite(s.value) ? format(s.value) : formatValue(s.value);
      block.lines.push(`${family.name}${labels} ${value}`);
    }
  }
  let out = '';
  for (const { head, lines } of blocks.values()) {
    if (lines.length === 0) continue;
    out += `# HELP ${head.name} ${escapeHelp(head.help)}\n# TYPE ${head.name} ${head.type}\n${lines.join('\n')}\n`;
  }
  return out;
}
