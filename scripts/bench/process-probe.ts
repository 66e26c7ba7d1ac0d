/**
 * The exporter's resources as the kernel sees them (/proc): resident memory and CPU time. Summed over the process
 * and its descendants, so a start that runs the exporter in a child process (heap flags, say) is measured whole.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const children = read(`/proc/${pids[i]}/task/${pids[i]}/children`);
    for (const child of children?.trim().split(/\s+/) ?? []) if (child) pids.push(Number(child));
  }
  return pids;
}

/** Resident set size in bytes (VmRSS), over the tree. */
export function rssBytes(pid: number): number {
  let kiB = 0;
  for (const p of processTree(pid)) {
    const line = read(`/proc/${p}/status`)
      ?.split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    kiB += Number(line?.replace(/\D+/g, '') ?? 0);
  }
  return kiB * 1024;
}

/** The fields of /proc/<pid>/stat after the command name (which is in parentheses and may hold spaces): state first. */
function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * User plus system CPU seconds (utime + stime, fields 14 and 15 of /proc/<pid>/stat), over the tree; with `reaped`,
 * also what the children that have ended used (cutime + cstime of `pid`: a server's finished connections).
 */
export function cpuSeconds(pid: number, { reaped = false } = {}): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const fields = statFields(p);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  const own = reaped ? statFields(pid) : undefined;
  if (own) ticks += Number(own[13]) + Number(own[14]);
  return ticks / CLOCK_TICKS;
}

/** The command name of a running process (/proc/<pid>/comm), or undefined when there is none on this machine. */
export function commandName(pid: number): string | undefined {
  return read(`/proc/${pid}/comm`)?.trim();
}

/** Samples the peak RSS every `everyMs` until stopped. */
export function watchPeakRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}
