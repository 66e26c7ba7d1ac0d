/**
 * The floor measured in a process of its own, started by floor.ts with the exporter's memory budget: reads the run
 * (JSON) from its first argument, writes the figures (JSON) to standard output.
 */
import { adminUrl } from '../../test/support/database.js';
import { redisUrl } from '../../test/support/redis.js';
import { openBackendMeters } from './backend-cpu.js';
import { type FloorRun, measureFloor } from './floor.js';

const run = JSON.parse(process.argv[2] ?? '{}') as Omit<FloorRun, 'backendCpu'>;
const backendCpu = await openBackendMeters(adminUrl(), redisUrl().toString());
try {
  process.stdout.write(`${JSON.stringify(await measureFloor({ ...run, backendCpu }))}\n`);
} finally {
  await backendCpu.close();
}
