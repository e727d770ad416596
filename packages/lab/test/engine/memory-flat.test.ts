/**
 * Issue 10's memory requirement: 2,000 training steps of the lab's
 * Transformer leave wasm memory and the JS heap flat. The training runs in a
 * child process with --expose-gc (memory-child.ts), which reads both after
 * forced collections without yielding to the event loop: a flat line means
 * every step released its blocks itself, not that finalizers caught up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Reading { step: number; wasmUsed: number; wasmTotal: number; heapUsed: number; ms: number }

test('2,000 steps of the lab Transformer keep wasm memory and the JS heap flat', { timeout: 240_000 }, () => {
  const child = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', child, '2000', '1'], { encoding: 'utf8', timeout: 230_000 });
  const r: Reading[] = out.trim().split('\n').map((l) => JSON.parse(l) as Reading);
  assert.ok(r.length >= 15, `expected a reading every ~100 steps, got ${r.length}`);
  assert.equal(r[r.length - 1]!.step, 2000);
  const early = r.find((x) => x.step >= 200)!;
  const last = r[r.length - 1]!;
  const MiB = 2 ** 20;
  // wasm: between steps only the optimizer's moments are in use (the same bytes after every
  // step), and the memory never grew after the first steps
  for (const x of r) assert.equal(x.wasmUsed, r[0]!.wasmUsed, `wasm bytes in use after step ${x.step}: ${x.wasmUsed}, after step ${r[0]!.step}: ${r[0]!.wasmUsed}`);
  assert.equal(last.wasmTotal, early.wasmTotal, `wasm memory grew from ${early.wasmTotal / MiB} MiB at step ${early.step} to ${last.wasmTotal / MiB} MiB`);
  // JS heap: the run keeps its loss curve (a number per step), nothing else may accumulate. What
  // remains (~0.2 KB/step, slowing down) is V8's compiled code: heap snapshots at steps 500 and
  // 3,500 of bench/memory-steps.ts's model differ by code objects, deopt data and a WeakArrayList.
  const growth = last.heapUsed - early.heapUsed;
  assert.ok(growth < 1 * MiB, `JS heap grew by ${(growth / MiB).toFixed(2)} MiB from step ${early.step} to 2000 (${r.map((x) => `${x.step}: ${(x.heapUsed / MiB).toFixed(2)}`).join(', ')})`);
});
