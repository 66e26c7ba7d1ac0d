/** The benchmark's heap probe: loaded into a Node.js process, it answers with the heap full collections leave. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { HeapProbe } from '../../scripts/bench/heap-probe.js';

/**
 * A process that holds `retainedMiB` of arrays and has dropped `garbageMiB` more, and says when it is ready. The
 * dropped objects lived long enough to reach V8's old generation, which only a full collection frees. It also holds
 * `functions` functions of its own, each called once, so compiled to bytecode.
 */
function holder(probe: HeapProbe, retainedMiB: number, garbageMiB: number, functions = 0) {
  const script = `
    const compiled = [];
    for (let i = 0; i < ${functions}; i++) {
      const f = new Function('x', 'let s = x + ' + i + '; for (let j = 0; j < 3; j++) s = (s * 31 + j) % 1000003; return s;');
      f(i);
      compiled.push(f);
    }
    globalThis.compiled = compiled;
    const kept = [];
    for (let i = 0; i < ${retainedMiB}; i++) kept.push(new Array(131072).fill(i));
    let dropped = [];
    for (let i = 0; i < ${garbageMiB} * 32768; i++) dropped.push({ i });
    for (let i = 0; i < 64; i++) new Array(131072).fill(i);
    dropped = null;
    globalThis.kept = kept;
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { env: probe.env({ PATH: process.env['PATH'] ?? '' }) });
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { child, ready };
}

test('the probe reads the live heap, which follows what the process holds', async () => {
  const probe = new HeapProbe();
  const small = holder(probe, 1, 24);
  const large = holder(probe, 40, 0);
  const coder = holder(probe, 1, 0, 20_000);
  try {
    await Promise.all([small.ready, large.ready, coder.ready]);
    const a = await probe.read(small.child.pid ?? 0);
    const b = await probe.read(large.child.pid ?? 0);
    const c = await probe.read(coder.child.pid ?? 0);
    assert.ok(a && b && c, 'every process answered');
    assert.ok(a.usedBytes > 0 && a.usedBytes <= a.totalBytes);
    // 39 MiB more held; without the collections the garbage would count.
    const more = (b.usedBytes - a.usedBytes) / 2 ** 20;
    assert.ok(more > 30 && more < 50, `${more.toFixed(1)} MiB more live heap`);
    // The arrays are not code; the 20,000 functions' bytecode and its metadata are.
    assert.ok(a.codeBytes > 0 && a.codeBytes < a.usedBytes);
    const arraysCode = (b.codeBytes - a.codeBytes) / 2 ** 20;
    assert.ok(Math.abs(arraysCode) < 1, `${arraysCode.toFixed(1)} MiB more code with the arrays`);
    const functionsCode = (c.codeBytes - a.codeBytes) / 2 ** 20;
    assert.ok(functionsCode > 2 && functionsCode < 30, `${functionsCode.toFixed(1)} MiB more code with the functions`);
  } finally {
    small.child.kill();
    large.child.kill();
    coder.child.kill();
    probe.close();
  }
});
