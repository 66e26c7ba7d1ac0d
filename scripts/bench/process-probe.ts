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

/** User plus system CPU seconds (utime + stime of /proc/<pid>/stat), over the tree. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const stat = read(`/proc/${p}/stat`);
    if (!stat) continue;
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
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
