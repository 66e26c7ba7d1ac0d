/** The CPU section of bench/RESULTS.md: who spends the CPU of a scrape, and the least time that CPU allows. */
import { type CpuShare, cpuBoundMs, totalCpuMs } from './backend-cpu.js';
import type { ConfigurationResult } from './results.js';

const ms = (value: number | null) => (value === null ? 'n/a' : value.toFixed(1));

function shareCells(share: CpuShare, cores: number): string[] {
  const total = totalCpuMs(share);
  return [ms(share.exporterMs), ms(share.postgresMs), ms(share.redisMs), ms(total), ms(cpuBoundMs(total, cores))];
}

/** What PostgreSQL and Redis alone spend on the floor's work, over the cores: no exporter can answer faster here. */
export function backendsBoundMs(share: CpuShare, cores: number): number | null {
  return share.postgresMs === null || share.redisMs === null ? null : cpuBoundMs(share.postgresMs + share.redisMs, cores);
}

export function cpuSection(results: readonly ConfigurationResult[], cores: number): { text: string; header: string[]; rows: string[][] } {
  return {
    text:
      "CPU milliseconds per scrape: the exporter process's (for the floor, this process reading the snapshots), PostgreSQL's " +
      "(the postmaster and its connections, ended ones included, from /proc) and Redis' (INFO cpu), over the sequential " +
      `scrapes and over the floor. Work that needs C ms of CPU takes at least C / ${cores} ms on this machine's ${cores} ` +
      'cores however well it overlaps: the *bound* columns. The floor bound is the least a scrape doing the same SQL and ' +
      "Redis work, replies read, could take here; the backends' bound is what PostgreSQL and Redis alone need.",
    header: [
      'dataset',
      'configuration',
      'exporter',
      'PostgreSQL',
      'Redis',
      'total',
      'bound',
      'floor: reading',
      'PostgreSQL',
      'Redis',
      'total',
      'floor bound',
      "backends' bound",
    ],
    rows: results.map((r) => [
      r.dataset,
      r.configuration,
      ...shareCells(r.sequential.cpu, cores),
      ...shareCells(r.floor.cpu, cores),
      ms(backendsBoundMs(r.floor.cpu, cores)),
    ]),
  };
}
