/**
 * The floor's process, started by floor.ts with the exporter's memory budget: reads its setup (JSON) from its first
 * argument, warms up and writes one line; then, for each count read from standard input, reads that many snapshots
 * and writes their times and its CPU (JSON, one line). Closes its connections when standard input ends.
 */
import { createInterface } from 'node:readline';
import { type FloorBlock, type FloorSetup, openFloorReader } from './floor.js';

const setup = JSON.parse(process.argv[2] ?? '{}') as FloorSetup;
const reader = openFloorReader(setup);
try {
  for (let i = 0; i < setup.warmUp; i++) await reader.read();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const times: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < Number(line); i++) times.push(await reader.read());
    const used = process.cpuUsage(cpu);
    const block: FloorBlock = { times, cpuSeconds: (used.user + used.system) / 1e6 };
    process.stdout.write(`${JSON.stringify(block)}\n`);
  }
} finally {
  await reader.close();
}
