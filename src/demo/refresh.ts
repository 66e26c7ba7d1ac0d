/** Refresh schedules of the demo's M3U accounts and EPG sources, and the statuses and last successes they give. */

/** How an account's or EPG source's refresh status moves: a repeating refresh, or a status that stays. */
export type RefreshPlan =
  | { readonly kind: 'cycle'; readonly periodSeconds: number; readonly offsetSeconds: number; readonly result: 'success' | 'error' }
  | { readonly kind: 'fixed'; readonly status: string };

/** Seconds a refresh spends downloading, then parsing, before its result shows. */
const FETCHING_SECONDS = 25;
const PARSING_SECONDS = 20;

/** The status a plan gives `elapsed` seconds after the demo started. */
export function refreshStatus(plan: RefreshPlan, elapsed: number): string {
  if (plan.kind === 'fixed') return plan.status;
  const phase = (((elapsed + plan.offsetSeconds) % plan.periodSeconds) + plan.periodSeconds) % plan.periodSeconds;
  if (phase < FETCHING_SECONDS) return 'fetching';
  // A failing provider fails while downloading: it never gets to parse.
  if (plan.result === 'error') return 'error';
  return phase < FETCHING_SECONDS + PARSING_SECONDS ? 'parsing' : 'success';
}

/**
 * When the last successful refresh ended, in seconds from the demo's start: the schedule's latest, or for a plan
 * that never succeeds `before` (seconds before the start), or null when it never did.
 */
export function lastSuccess(plan: RefreshPlan, elapsed: number, before: number | null): number | null {
  if (plan.kind === 'fixed' || plan.result === 'error') return before === null ? null : -before;
  const done = FETCHING_SECONDS + PARSING_SECONDS;
  const cycles = Math.floor((elapsed + plan.offsetSeconds - done) / plan.periodSeconds);
  return cycles * plan.periodSeconds - plan.offsetSeconds + done;
}

export const cycle = (periodSeconds: number, offsetSeconds: number, result: 'success' | 'error' = 'success'): RefreshPlan => ({
  kind: 'cycle',
  periodSeconds,
  offsetSeconds,
  result,
});
export const fixed = (status: string): RefreshPlan => ({ kind: 'fixed', status });
