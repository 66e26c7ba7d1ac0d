/**
 * The targets of issue 10, checked against the figures. A target whose figures were not measured (a dataset left
 * out, a run cut short) is marked as not measured; the benchmark reports misses and asserts nothing.
 */
import { cpuBoundMs, totalCpuMs } from './backend-cpu.js';
import type { DatasetName } from './options.js';
import type { LiveHeap } from './heap-probe.js';
import { type ConfigurationName, type ConfigurationResult, SETTLE_WINDOW } from './results.js';

export interface TargetCheck {
  readonly target: string;
  readonly figure: string;
  /** null: not measured. */
  readonly met: boolean | null;
}

const MiB = 1024 * 1024;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

function find(results: readonly ConfigurationResult[], dataset: DatasetName, configuration: ConfigurationName) {
  return results.find((r) => r.dataset === dataset && r.configuration === configuration);
}

function notMeasured(target: string): TargetCheck {
  return { target, figure: 'not measured', met: null };
}

const LONG_RUN = 10_000;
const FIRST_SAMPLE = 1_000;

/** The sample of the long memory run, if it reached 10,000 scrapes (a shorter run is shown, unjudged). */
function longRunRss(result: ConfigurationResult | undefined, maxMiB: number, target: string): TargetCheck {
  const long = result?.memory.filter((m) => m.kind === 'run').at(-1);
  if (!result || !long) return notMeasured(target);
  const skipped = result.skippedRun ? ` (${result.skippedRun.target.toLocaleString('en-US')} would have outlasted the time limit)` : '';
  const figure = `${mib(long.rssBytes)} after ${long.scrapes.toLocaleString('en-US')} scrapes${skipped}`;
  return { target, figure, met: long.scrapes >= LONG_RUN ? long.rssBytes <= maxMiB * MiB : null };
}

/** How the live heap's code and the rest of it changed from one reading to the other. */
function codeShare(from: LiveHeap, to: LiveHeap): string {
  const kib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;
  const code = to.codeBytes - from.codeBytes;
  return `: code ${kib(code)}, the rest ${kib(to.usedBytes - from.usedBytes - code)}`;
}

/**
 * Heap growth from the live heap (what full collections leave) when both samples have it, from the settled heap
 * figure otherwise.
 */
function heapGrowth(result: ConfigurationResult | undefined, target: string): TargetCheck {
  const first = result?.memory.find((m) => m.kind === 'run' && m.scrapes === FIRST_SAMPLE);
  const last = result?.memory.find((m) => m.kind === 'run' && m.scrapes >= LONG_RUN);
  if (!first || !last) return notMeasured(target);
  const change = (from: number, to: number) => `${mib(from)} → ${mib(to)} (${((to / from - 1) * 100).toFixed(1)} %`;
  const settled =
    first.settledHeapBytes && last.settledHeapBytes
      ? `settled ${result?.heapFamily}, the least of the last ${SETTLE_WINDOW} scrapes: ${change(first.settledHeapBytes, last.settledHeapBytes)})`
      : null;
  if (first.live && last.live) {
    const growth = last.live.usedBytes / first.live.usedBytes - 1;
    const figure = `${change(first.live.usedBytes, last.live.usedBytes)}, live heap after full collections${codeShare(first.live, last.live)})`;
    return { target, figure: settled ? `${figure}; ${settled}` : figure, met: growth < 0.05 };
  }
  if (!first.settledHeapBytes || !last.settledHeapBytes) return notMeasured(target);
  return { target, figure: settled ?? '', met: last.settledHeapBytes / first.settledHeapBytes - 1 < 0.05 };
}

/** A latency target, with the least time the floor's CPU allows on this machine's cores when it is known. */
function latency(result: ConfigurationResult | undefined, key: 'p50' | 'p99', maxMs: number, cores: number, target: string): TargetCheck {
  if (!result) return notMeasured(target);
  const value = result.sequential.latency[key];
  const bound = cpuBoundMs(totalCpuMs(result.floor.cpu), cores);
  const beyond = bound !== null && bound > maxMs ? ', more than the target: out of reach on this machine' : '';
  const reasons = [
    ...(key === 'p50' ? [] : [`the floor's own ${key} is ${ms(result.floor[key])}`]),
    ...(bound === null ? [] : [`the floor's work alone needs ${ms(bound)} of this machine's ${cores} cores${beyond}`]),
  ];
  const why = reasons.length === 0 ? '' : ` (${reasons.join('; ')})`;
  return { target, figure: `${ms(value)}${why}`, met: value <= maxMs };
}

/** One figure per dataset (rounded to hundredths): constant when they all agree. */
function constant(
  results: readonly ConfigurationResult[],
  configuration: ConfigurationName,
  pick: (r: ConfigurationResult) => number | null,
  target: string,
) {
  const figures = results.filter((r) => r.configuration === configuration).map((r) => [r.dataset, pick(r)] as const);
  if (figures.length < 2 || figures.some(([, value]) => value === null)) return notMeasured(target);
  const rounded = figures.map(([dataset, value]) => [dataset, Math.round((value ?? 0) * 100) / 100] as const);
  return {
    target,
    figure: rounded.map(([dataset, value]) => `${dataset} ${value}`).join(', '),
    met: new Set(rounded.map(([, value]) => value)).size === 1,
  };
}

export function checkTargets(results: readonly ConfigurationResult[], cores: number): TargetCheck[] {
  const largeAll = find(results, 'large', 'every gate');
  const smallAll = find(results, 'small', 'every gate');
  const checks: TargetCheck[] = [
    longRunRss(largeAll, 96, 'RSS ≤ 96 MiB after 10,000 scrapes, large, every gate'),
    longRunRss(smallAll, 72, 'RSS ≤ 72 MiB after 10,000 scrapes, small, every gate'),
    heapGrowth(largeAll, 'heap growth from 1,000 to 10,000 scrapes < 5 %, large, every gate'),
    heapGrowth(smallAll, 'heap growth from 1,000 to 10,000 scrapes < 5 %, small, every gate'),
    latency(largeAll, 'p50', 100, cores, 'p50 ≤ 100 ms, large, every gate'),
    latency(largeAll, 'p99', 250, cores, 'p99 ≤ 250 ms, large, every gate'),
    latency(find(results, 'large', 'defaults'), 'p50', 50, cores, 'p50 ≤ 50 ms, large, defaults'),
  ];
  for (const r of results) {
    const ratio = r.sequential.latency.p50 / r.floor.p50;
    checks.push({
      target: `p50 ≤ 1.5 × floor, ${r.dataset}, ${r.configuration}`,
      figure: `${ms(r.sequential.latency.p50)} / ${ms(r.floor.p50)} = ${ratio.toFixed(2)} ×`,
      met: ratio <= 1.5,
    });
  }
  for (const configuration of ['defaults', 'every gate'] as const) {
    const [large, huge] = [find(results, 'large', configuration), find(results, 'huge', configuration)];
    const target = `p50 huge ≤ 1.5 × p50 large, ${configuration}`;
    if (!large || !huge) checks.push(notMeasured(target));
    else {
      const ratio = huge.sequential.latency.p50 / large.sequential.latency.p50;
      checks.push({
        target,
        figure: `${ms(huge.sequential.latency.p50)} / ${ms(large.sequential.latency.p50)} = ${ratio.toFixed(2)} ×`,
        met: ratio <= 1.5,
      });
    }
  }
  for (const configuration of ['defaults', 'every gate'] as const) {
    checks.push(
      constant(
        results,
        configuration,
        (r) => r.sequential.statementsPerScrape,
        `SQL statements per scrape constant across datasets, ${configuration}`,
      ),
    );
    checks.push(
      constant(
        results,
        configuration,
        (r) => r.sequential.roundTrips,
        `Redis round trips per scrape constant across datasets, ${configuration}`,
      ),
    );
  }
  return checks;
}

export function mark(check: TargetCheck): string {
  return check.met === null ? '–' : check.met ? 'pass' : 'MISS';
}
