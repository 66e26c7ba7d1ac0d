/** The benchmark's command line: which datasets, how many scrapes, how long each phase may take, where results go. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const DATASET_NAMES = ['small', 'large', 'huge'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface BenchOptions {
  readonly smoke: boolean;
  readonly datasets: readonly DatasetName[];
  /** Sequential scrapes measured after the warm-up (latency, CPU, statements, commands). */
  readonly scrapes: number;
  readonly warmUp: number;
  /** Scrapes in all before the last memory sample of the every-gate configurations of small and large. */
  readonly memoryScrapes: number;
  /** The same for the other configurations. */
  readonly shortMemoryScrapes: number;
  /** loadSnapshot calls timed for the floor, after the warm-up. */
  readonly floorSamples: number;
  readonly idleSeconds: number;
  readonly concurrentScrapers: number;
  readonly concurrentSeconds: number;
  /** Wall-clock limit of each sequential scrape loop and floor loop; a loop cut short reports how many it did. */
  readonly phaseSeconds: number;
  /** The same for the memory runs of `shortMemoryScrapes`. */
  readonly memorySeconds: number;
  /** The same for the long memory runs. */
  readonly longRunSeconds: number;
  readonly out: string;
  /** The command as typed, for the results. */
  readonly command: string;
}

const USAGE = `Usage: npm run bench -- [options]
  --datasets small,large,huge   datasets to run (default: all three)
  --scrapes N                   sequential scrapes measured after the warm-up (default 200)
  --warm-up N                   scrapes before measuring (default 20)
  --memory-scrapes N            scrapes before the last memory sample, every gate on, small and large (default 10000)
  --short-memory-scrapes N      the same for the other configurations (default 1000)
  --floor-samples N             loadSnapshot calls timed for the floor (default 200)
  --idle-seconds N              idle time before the idle memory sample (default 30)
  --concurrent-scrapers N       scrapers of the concurrent phase (default 20)
  --concurrent-seconds N        length of the concurrent phase (default 10)
  --phase-seconds N             wall-clock limit of each sequential and floor loop (default 600)
  --memory-seconds N            wall-clock limit of each short memory run (default 60)
  --long-run-seconds N          wall-clock limit of each long memory run (default 3600); its part after 1,000 scrapes
                                is left out when the rate so far says it cannot end in time
  --out PATH                    results file (default bench/RESULTS.md; with --smoke a temporary file)
  --smoke                       small dataset, a few scrapes, results to a temporary file; asserts no timing`;

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
  return parsed;
}

function datasetList(value: string | undefined, fallback: readonly DatasetName[]): DatasetName[] {
  if (value === undefined) return [...fallback];
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(DATASET_NAMES as readonly string[]).includes(name))
      throw new Error(`unknown dataset ${JSON.stringify(name)}: use ${DATASET_NAMES}`);
  }
  return DATASET_NAMES.filter((name) => names.includes(name));
}

/** Parses the arguments; prints the usage and exits on --help. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      datasets: { type: 'string' },
      scrapes: { type: 'string' },
      'warm-up': { type: 'string' },
      'memory-scrapes': { type: 'string' },
      'short-memory-scrapes': { type: 'string' },
      'floor-samples': { type: 'string' },
      'idle-seconds': { type: 'string' },
      'concurrent-scrapers': { type: 'string' },
      'concurrent-seconds': { type: 'string' },
      'phase-seconds': { type: 'string' },
      'memory-seconds': { type: 'string' },
      'long-run-seconds': { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const smoke = values.smoke;
  // BENCH_SCRAPES: the variable the benchmark honoured before it had flags.
  const scrapes = values.scrapes ?? process.env['BENCH_SCRAPES'];
  return {
    smoke,
    datasets: datasetList(values.datasets, smoke ? ['small'] : DATASET_NAMES),
    scrapes: count(scrapes, smoke ? 20 : 200, 'scrapes'),
    warmUp: count(values['warm-up'], smoke ? 5 : 20, 'warm-up'),
    memoryScrapes: count(values['memory-scrapes'], smoke ? 50 : 10_000, 'memory-scrapes'),
    shortMemoryScrapes: count(values['short-memory-scrapes'], smoke ? 50 : 1_000, 'short-memory-scrapes'),
    floorSamples: count(values['floor-samples'], smoke ? 20 : 200, 'floor-samples'),
    idleSeconds: count(values['idle-seconds'], smoke ? 1 : 30, 'idle-seconds'),
    concurrentScrapers: count(values['concurrent-scrapers'], 20, 'concurrent-scrapers'),
    concurrentSeconds: count(values['concurrent-seconds'], smoke ? 2 : 10, 'concurrent-seconds'),
    phaseSeconds: count(values['phase-seconds'], 600, 'phase-seconds'),
    memorySeconds: count(values['memory-seconds'], 60, 'memory-seconds'),
    longRunSeconds: count(values['long-run-seconds'], 3600, 'long-run-seconds'),
    out: values.out ?? (smoke ? join(tmpdir(), `dispatcharr-exporter-bench-smoke-${process.pid}.md`) : 'bench/RESULTS.md'),
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
  };
}
