/**
 * The floor's process, started by floor.ts with the exporter's memory budget: reads its setup (JSON) from its first
 * argument, warms up and writes one line; then, for each count read from standard input, reads that many snapshots
 * and writes their times and its CPU (JSON, one line). Closes its connections when standard input ends.
 */
import { createInterface } from 'node:readline';
import { type FloorSetup, openFloorReader, readBlock } from './floor.js';

const setup = JSON.parse(process.argv[2] ?? '{}') as FloorSetup;
const reader = openFloorReader(setup);
try {
  for (let i = 0; i < setup.warmUp; i++) await reader.read();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    process.stdout.write(`${JSON.stringify(await readBlock(reader, Number(line)))}\n`);
  }
} finally {
  await reader.close();
}
