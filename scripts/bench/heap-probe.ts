/**
 * The exporter's live heap: what a full garbage collection leaves of it, read through heap-preload.cjs, which the
 * benchmark loads into the exporter it starts. The heap figure the exporter reports is read at the end of a scrape,
 * with that scrape's garbage in it; the least of many such figures still moved by 1 to 2 MiB from run to run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./heap-preload.cjs', import.meta.url));
const WAIT_MS = 10_000;

export interface LiveHeap {
  /** V8's used heap after two full collections. */
  readonly usedBytes: number;
  readonly totalBytes: number;
  /** Of the used heap, code: bytecode, compiled code and their metadata. */
  readonly codeBytes: number;
}

export class HeapProbe {
  private readonly dir = mkdtempSync(join(tmpdir(), 'dispatcharr-exporter-heap-'));
  private readonly file = join(this.dir, 'heap.json');

  /** The environment that loads the probe into an exporter: `NODE_OPTIONS` added to the one given. */
  env(base: Record<string, string>): Record<string, string> {
    const options = [base['NODE_OPTIONS'], `--require ${JSON.stringify(PRELOAD)}`].filter(Boolean).join(' ');
    return { ...base, NODE_OPTIONS: options, BENCH_HEAP_PROBE_FILE: this.file };
  }

  /** Asks the exporter (process `pid`) for its live heap; null when it does not answer in time. */
  async read(pid: number): Promise<LiveHeap | null> {
    rmSync(this.file, { force: true });
    process.kill(pid, 'SIGUSR2');
    const until = Date.now() + WAIT_MS;
    while (Date.now() < until) {
      if (existsSync(this.file)) return JSON.parse(readFileSync(this.file, 'utf8')) as LiveHeap;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return null;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
