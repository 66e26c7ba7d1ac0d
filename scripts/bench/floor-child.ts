/**
 * The floor measured in a process of its own, started by floor.ts with the exporter's memory budget: reads the run
 * (JSON) from its first argument, writes the figures (JSON) to standard output.
 */
import { adminUrl } from '../../test/support/database.js';
import { redisUrl } from '../../test/support/redis.js';
import { postgresCpu, redisCpu } from './backend-cpu.js';
import { type FloorRun, measureFloor } from './floor.js';

const run = JSON.parse(process.argv[2] ?? '{}') as Omit<FloorRun, 'backendCpu'>;
const backendCpu = { postgres: await postgresCpu(adminUrl()), redis: await redisCpu(redisUrl().toString()) };
try {
  process.stdout.write(`${JSON.stringify(await measureFloor({ ...run, backendCpu }))}\n`);
} finally {
  await backendCpu.postgres.close();
  await backendCpu.redis.close();
}
