import { readFileSync } from 'node:fs';

/** The promtool findings the README documents, read from the README itself so the two cannot drift. */
export function documentedPromtoolFindings(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- promtool-findings:start -->([\s\S]*?)<!-- promtool-findings:end -->/.exec(readme)?.[1] ?? '';
  return [...block.matchAll(/^\s*([a-z0-9_]+ .+)$/gm)].map((m) => (m[1] ?? '').trim());
}
