/**
 * The exporter's memory budget: V8 heap limits and thread and allocator settings for a small, steady service,
 * instead of defaults sized for the machine (young-generation semi-spaces of 16 MiB, 64 MiB on Node 24, an old
 * generation of several GiB allowed to grow to 4 times what is live, a GC thread pool per core, an allocator arena
 * per thread). V8 reads its limits once, when the isolate is created, and glibc its tunables when the process
 * starts; setting them later (v8.setFlagsFromString) changes nothing. So they go into NODE_OPTIONS and the
 * environment of the process that runs the exporter:
 *
 * - the npm bin, `npm start`, `./dist/dispatcharr-exporter.cjs`: the bundle's first lines are a shell script
 *   (budgetShellLine) that adds them and execs node on the same file;
 * - the single executable, and `node dist/dispatcharr-exporter.cjs` on a Node with process.execve (22.15 and
 *   later): applyMemoryBudget re-executes the process in place (same PID, no second process) with them;
 * - `node dist/dispatcharr-exporter.cjs` on Node 20: V8's defaults (it cannot re-execute in place).
 *
 * An operator's own setting (in NODE_OPTIONS, on node's command line, or in the environment) always wins.
 */
import { spawnSync } from 'node:child_process';

export interface BudgetOption {
  /** A node or V8 option, without its value. */
  readonly name: string;
  readonly value: number;
  /** Options whose presence means the operator chose this setting: the option itself, or one that covers it. */
  readonly yieldsTo: readonly string[];
}

export const BUDGET_OPTIONS: readonly BudgetOption[] = [
  // Young generation, MiB: a scrape's garbage dies young; at 1 MiB the semi-spaces never grow to V8's default size.
  { name: '--max-semi-space-size', value: 1, yieldsTo: ['--max-semi-space-size', '--max-heap-size'] },
  // Old generation, MiB: a ceiling for bursts (20 concurrent scrapes of a body of several MB fit), not a target: up
  // to 256 MiB V8 grows it by its memory-constrained factor, about 1.3 times what is live, instead of up to 4 times.
  { name: '--max-old-space-size', value: 256, yieldsTo: ['--max-old-space-size', '--max-heap-size'] },
  // One V8 worker thread (garbage collection, compilation) instead of one per core: fewer thread stacks and arenas.
  { name: '--v8-pool-size', value: 1, yieldsTo: ['--v8-pool-size'] },
];

export const BUDGET_ENVIRONMENT: Readonly<Record<string, string>> = {
  // glibc keeps a malloc arena per thread and rarely returns their memory; two arenas serve the exporter's threads.
  MALLOC_ARENA_MAX: '2',
  // Blocks of 64 KiB and more (socket reads, the body's chunks) are mapped on their own and unmapped when freed,
  // instead of left in the arena, where a small block still in use above them keeps their pages resident.
  MALLOC_MMAP_THRESHOLD_: '65536',
};

/** Set in the environment of the re-executed process, so a Node that ignores NODE_OPTIONS cannot loop. */
const REEXECUTED = 'DISPATCHARR_EXPORTER_MEMORY_BUDGET_APPLIED';

/** V8 accepts `_` for `-` in option names. */
function optionName(arg: string): string {
  return (arg.split('=')[0] ?? '').replace(/_/g, '-');
}

export interface MissingBudget {
  /** `--name=value` for each budget option the operator has not set. */
  readonly options: readonly string[];
  /** The budget's environment variables the operator has not set. */
  readonly environment: Readonly<Record<string, string>>;
}

/** What of the budget the operator has not set, given node's options and the environment (with NODE_OPTIONS). */
export function missingBudget(execArgv: readonly string[], env: NodeJS.ProcessEnv): MissingBudget {
  const given = new Set([...execArgv, ...(env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((arg) => arg.startsWith('--')).map(optionName));
  return {
    options: BUDGET_OPTIONS.filter((option) => !option.yieldsTo.some((name) => given.has(name))).map(
      (option) => `${option.name}=${option.value}`,
    ),
    environment: Object.fromEntries(Object.entries(BUDGET_ENVIRONMENT).filter(([name]) => env[name] === undefined)),
  };
}

/**
 * The bundle's second line, run by /bin/sh when the file is executed (first line `#!/bin/sh`) and a comment to
 * JavaScript: adds each budget option the operator's NODE_OPTIONS lacks and each budget variable the environment
 * lacks, then execs node on the same file, so one process remains. Node skips a first line that starts with `#!`.
 */
export function budgetShellLine(): string {
  const options = BUDGET_OPTIONS.map((option) => {
    const patterns = option.yieldsTo.flatMap((name) => [`*" ${name}"*`, `*" --${name.slice(2).replace(/-/g, '_')}"*`]).join('|');
    return `case " $NODE_OPTIONS " in ${patterns}) ;; *) budget="$budget ${option.name}=${option.value}";; esac;`;
  });
  const environment = Object.entries(BUDGET_ENVIRONMENT).map(([name, value]) => `${name}="\${${name}-${value}}"; export ${name};`);
  return `':' //; budget=; ${options.join(' ')} NODE_OPTIONS="\${budget# } $NODE_OPTIONS"; export NODE_OPTIONS; ${environment.join(' ')} exec node "$0" "$@"`;
}

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/** Arguments that print and exit: not worth a second start. */
const PRINT_AND_EXIT = new Set(['--version', '-v', '--help', '-h']);

/**
 * Whether the kernel can start this executable again. A failed process.execve aborts the process (it cannot throw),
 * so the replacement is tried only after a child started the same way printed its version: under qemu-user without
 * binfmt_misc, for one, an arm64 executable runs but cannot execute itself.
 */
function canRestart(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const probe = spawnSync(process.execPath, [...args, '--version'], {
    env: { ...env, [REEXECUTED]: '1' },
    stdio: 'ignore',
    timeout: 30_000,
  });
  return probe.error === undefined && probe.status === 0;
}

/**
 * Replaces this process with one that has the whole budget, when part of it is missing and this Node can
 * (process.execve: Node 22.15 and later, so the single executable; not Node 20). Must run before anything else:
 * the bundle's entry calls it first. Returns when nothing needs doing or it is not possible.
 */
export function applyMemoryBudget(): void {
  if (process.env[REEXECUTED] !== undefined) {
    delete process.env[REEXECUTED];
    return;
  }
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return;
  if (process.argv.slice(2).some((arg) => PRINT_AND_EXIT.has(arg))) return;
  const missing = missingBudget(process.execArgv, process.env);
  if (missing.options.length === 0 && Object.keys(missing.environment).length === 0) return;
  const sea = process.getBuiltinModule?.('node:sea')?.isSea() === true;
  // A single executable takes every argument as its own; node takes its options before the script.
  const script = sea ? [] : [...process.execArgv, process.argv[1] ?? ''];
  const nodeOptions = [...missing.options, process.env['NODE_OPTIONS'] ?? ''].join(' ').trim();
  const env = { ...process.env, ...missing.environment, NODE_OPTIONS: nodeOptions, [REEXECUTED]: '1' };
  if (!canRestart(script, env)) return;
  execve.call(process, process.execPath, [process.execPath, ...script, ...process.argv.slice(2)], env);
}
