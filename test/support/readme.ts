import { readFileSync } from 'node:fs';

/** The promtool findings the README documents, read from the README itself so the two cannot drift. */
export function documentedPromtoolFindings(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- promtool-findings:start -->([\s\S]*?)<!-- promtool-findings:end -->/.exec(readme)?.[1] ?? '';
  return [...block.matchAll(/^\s*([a-z0-9_]+ .+)$/gm)].map((m) => (m[1] ?? '').trim());
}

/** Inline code that names something other than a metric: the plugin's key and folder. */
const NOT_PROMQL = new Set(['dispatcharr_exporter']);

/**
 * Every PromQL expression the README shows: inline code and `promql` blocks that mention a `dispatcharr_` family,
 * except paths, name patterns (`dispatcharr_*`) and exposition sample lines such as `dispatcharr_up 0`.
 */
export function readmePromql(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const prose = readme.replace(/```[\s\S]*?```/g, '');
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const expressions = [...inline, ...blocks].map((text) => text.trim()).filter((text) => /\bdispatcharr_/.test(text));
  const path = /^\S*\/\S*$/;
  const pattern = /\w\*/;
  const sampleLine = /^[a-zA-Z_:][\w:]*(\{[^}]*\})? -?[\d.]+$/;
  return [...new Set(expressions)].filter((e) => !NOT_PROMQL.has(e) && !path.test(e) && !pattern.test(e) && !sampleLine.test(e));
}
