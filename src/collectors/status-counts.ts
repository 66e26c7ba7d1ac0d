import { sample, type Sample } from '../exposition/family.js';

/**
 * One sample per known status, zeros included, in the order given; statuses the database holds that
 * are not in the list follow in alphabetical order, so nothing is silently dropped.
 */
export function countByStatus(rows: readonly { status: string }[], known: readonly string[]): Sample[] {
  const counts = new Map<string, number>(known.map((status) => [status, 0]));
  const unknown = new Set<string>();
  for (const row of rows) {
    if (!counts.has(row.status)) unknown.add(row.status);
    counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  }
  const order = [...known, ...[...unknown].sort()];
  return order.map((status) => sample(counts.get(status) ?? 0, { status }));
}
