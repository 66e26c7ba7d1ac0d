/** Standard process_* metrics of the exporter's own process (CPU, memory, file descriptors, start time). */
import { readdirSync, readFileSync } from 'node:fs';
import { counter, gauge, sample, type MetricFamily } from '../exposition/family.js';
import type { Collector } from './collector.js';

const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function maxFileDescriptors(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process families as a collector, so a failure (EMFILE when descriptors run out, say) reports
 * `collector_success{collector="process"} 0` like any other collector instead of failing the scrape.
 */
export const processCollector: Collector = {
  name: 'process',
  needs: [],
  collect: () => processFamilies(),
};

export function processFamilies(): MetricFamily[] {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const families: MetricFamily[] = [
    counter('process_cpu_user_seconds_total', 'User CPU time spent by the exporter in seconds', [sample(cpu.user / 1e6)]),
    counter('process_cpu_system_seconds_total', 'System CPU time spent by the exporter in seconds', [sample(cpu.system / 1e6)]),
    counter('process_cpu_seconds_total', 'Total user and system CPU time spent by the exporter in seconds', [
      sample((cpu.user + cpu.system) / 1e6),
    ]),
    gauge('process_start_time_seconds', 'Start time of the exporter process since the Unix epoch in seconds', [sample(START_TIME_SECONDS)]),
    gauge('process_resident_memory_bytes', 'Resident memory size of the exporter in bytes', [sample(memory.rss)]),
    gauge('process_heap_bytes', 'JavaScript heap size of the exporter in bytes', [sample(memory.heapTotal)]),
  ];
  const open = openFileDescriptors();
  if (open !== undefined) families.push(gauge('process_open_fds', 'Open file descriptors of the exporter', [sample(open)]));
  const max = maxFileDescriptors();
  if (max !== undefined) families.push(gauge('process_max_fds', 'Maximum number of open file descriptors of the exporter', [sample(max)]));
  return families;
}
