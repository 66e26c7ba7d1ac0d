/**
 * The exporter's memory budget: V8 heap limits for a small, steady service instead of V8's defaults, which are
 * sized for the machine (a 16 MiB young-generation semi-space, 64 MiB on Node 24, and an old generation of
 * several GiB). V8 reads these limits once, when the isolate is created; setting them later
 * (v8.setFlagsFromString) changes nothing, so they must be on the command line or in NODE_OPTIONS of the
 * process that runs the exporter. How each way of starting it gets them:
 *
 * - the npm bin, `npm start`, `./dist/dispatcharr-exporter.cjs`: the bundle's first lines are a shell script
 *   (see budgetShellLine) that adds the flags to NODE_OPTIONS and execs node on the same file;
 * - the single executable, and `node dist/dispatcharr-exporter.cjs` on a Node with process.execve (22.15 and
 *   later): applyHeapBudget re-executes the process in place (same PID, no second process) with the flags;
 * - `node dist/dispatcharr-exporter.cjs` on Node 20: runs with V8's defaults (no way to re-execute in place).
 *
 * An operator's own heap flag (in NODE_OPTIONS, or on node's command line) always wins over the budget's.
 */

export interface BudgetFlag {
  /** The V8 option, without its value. */
  readonly name: string;
  /** Megabytes. */
  readonly megabytes: number;
  /** Options whose presence means the operator chose this limit: the option itself, or the overall heap size. */
  readonly yieldsTo: readonly string[];
}

export const HEAP_BUDGET: readonly BudgetFlag[] = [
  // Young generation: a scrape's garbage dies young; at 1 MiB the semi-spaces never grow to V8's default size.
  { name: '--max-semi-space-size', megabytes: 1, yieldsTo: ['--max-semi-space-size', '--max-heap-size'] },
  // Old generation: a ceiling for bursts (20 concurrent scrapes of a body of several MB fit), not a target: up to
  // 256 MiB V8 grows it by its memory-constrained factor, about 1.3 times what is live, instead of up to 4 times.
  { name: '--max-old-space-size', megabytes: 256, yieldsTo: ['--max-old-space-size', '--max-heap-size'] },
];

/** Set in the environment of the re-executed process, so a Node that ignores NODE_OPTIONS cannot loop. */
const REEXECUTED = 'DISPATCHARR_EXPORTER_HEAP_BUDGET_APPLIED';

/** V8 accepts `_` for `-` in option names. */
function optionName(arg: string): string {
  return (arg.split('=')[0] ?? '').replace(/_/g, '-');
}

/** The budget's flags (`--name=value`) the operator has not set, given node's options and NODE_OPTIONS. */
export function missingBudgetFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((arg) => arg.startsWith('--')).map(optionName));
  return HEAP_BUDGET.filter((flag) => !flag.yieldsTo.some((name) => given.has(name))).map((flag) => `${flag.name}=${flag.megabytes}`);
}

/**
 * The bundle's second line, run by /bin/sh when the file is executed (first line `#!/bin/sh`) and a
 * comment to JavaScript: adds each budget flag the operator's NODE_OPTIONS lacks, then execs node on the
 * same file, so one process remains. Node ignores the first line of a script that starts with `#!`.
 */
export function budgetShellLine(): string {
  const checks = HEAP_BUDGET.map((flag) => {
    const patterns = flag.yieldsTo.flatMap((name) => [`*" ${name}"*`, `*" --${name.slice(2).replace(/-/g, '_')}"*`]).join('|');
    return `case " $NODE_OPTIONS " in ${patterns}) ;; *) budget="$budget ${flag.name}=${flag.megabytes}";; esac;`;
  });
  return `':' //; budget=; ${checks.join(' ')} NODE_OPTIONS="\${budget# } $NODE_OPTIONS"; export NODE_OPTIONS; exec node "$0" "$@"`;
}

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process with one that has the budget's heap limits, when any is missing and this Node can
 * (process.execve: Node 22.15 and later, so the single executable; not Node 20). Must run before anything
 * else: the bundle's entry calls it first. Returns when nothing needs doing or it is not possible.
 */
export function applyHeapBudget(): void {
  if (process.env[REEXECUTED] !== undefined) {
    delete process.env[REEXECUTED];
    return;
  }
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return;
  const missing = missingBudgetFlags(process.execArgv, process.env['NODE_OPTIONS']);
  if (missing.length === 0) return;
  const sea = process.getBuiltinModule?.('node:sea')?.isSea() === true;
  // A single executable takes every argument as its own, and node its options before the script.
  const args = sea ? process.argv.slice(2) : [...process.execArgv, ...process.argv.slice(1)];
  const nodeOptions = [...missing, process.env['NODE_OPTIONS'] ?? ''].join(' ').trim();
  try {
    execve.call(process, process.execPath, [process.execPath, ...args], { ...process.env, NODE_OPTIONS: nodeOptions, [REEXECUTED]: '1' });
  } catch {
    // Not allowed here (a sandbox, a missing binary): run on with V8's defaults rather than not at all.
  }
}
