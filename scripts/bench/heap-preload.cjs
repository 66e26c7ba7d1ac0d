/**
 * Loaded into the exporter by the benchmark only (NODE_OPTIONS=--require, see heap-probe.ts), never by a user's
 * exporter. On SIGUSR2 it runs two full garbage collections and writes what is left of the V8 heap, the live heap,
 * to the file BENCH_HEAP_PROBE_FILE names: the heap-growth figure without the garbage of the last scrape in it, and how
 * much of it is code (bytecode, compiled code and their metadata), which grows as V8 optimises more functions.
 */
'use strict';
const { renameSync, writeFileSync } = require('node:fs');
const { setFlagsFromString, getHeapCodeStatistics, getHeapStatistics } = require('node:v8');
const { runInNewContext } = require('node:vm');

const file = process.env.BENCH_HEAP_PROBE_FILE;
if (file) {
  // Exposes gc() to contexts made from now on, without --expose-gc on the command line (a flag users never give).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  process.on('SIGUSR2', () => {
    gc();
    gc();
    const heap = getHeapStatistics();
    const code = getHeapCodeStatistics();
    const codeBytes = code.code_and_metadata_size + code.bytecode_and_metadata_size;
    writeFileSync(`${file}.tmp`, JSON.stringify({ usedBytes: heap.used_heap_size, totalBytes: heap.total_heap_size, codeBytes }));
    renameSync(`${file}.tmp`, file);
  });
}
