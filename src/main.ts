/** The bundle's entry: the memory budget before anything else loads (it may re-execute this process), then the exporter. */
import { applyMemoryBudget } from './memory-budget.js';

applyMemoryBudget();
import('./cli.js').catch((error: unknown) => {
  process.stderr.write(`dispatcharr-exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
