/**
 * Threaded WebAssembly kernels give the single-thread results: rows are split
 * over a worker and the calling thread on one shared memory.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { gemm } from '../../src/kernels/js/gemm.js';
import { layernormForward, layernormBackward } from '../../src/kernels/js/layernorm.js';
import { rmsnormForward, rmsnormBackward } from '../../src/kernels/js/rmsnorm.js';
import { parallelParts } from '../../src/kernels/threads/pool.js';
import { assertClose } from '../helpers.js';

function data(n: number, seed: number): Float32Array {
  const r = new nk.Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform() * 2 - 1);
}

after(async () => {
  await nk.setThreads(1);
  nk.setThreadCrossover(150_000);
});

test('setThreads validates its argument', async () => {
  await assert.rejects(nk.setThreads(0), /threads must be an integer in \[1, 64\], got 0/);
  assert.throws(() => nk.setThreadCrossover(-1), /got -1/);
});

test('two threads compute the same layernorm, rmsnorm and gemm as one', async () => {
  nk.setBackend('wasm');
  const N = 67, C = 129; // odd sizes: uneven row split
  const x = data(N * C, 1), g = data(N * C, 2), w = data(C, 3), b = data(C, 4);
  const A = data(N * 96, 5), B = data(96 * 80, 6);
  const runAll = () => {
    const out = new Float32Array(N * C), mean = new Float64Array(N), rstd = new Float64Array(N);
    layernormForward(out, mean, rstd, x, w, b, N, C, 1e-5);
    const dx = new Float32Array(N * C), dw = new Float32Array(C), db = new Float32Array(C);
    layernormBackward(dx, dw, db, g, x, w, mean, rstd, N, C);
    const ro = new Float32Array(N * C), rr = new Float64Array(N);
    rmsnormForward(ro, rr, x, w, N, C, 1e-6);
    const rdx = new Float32Array(N * C), rdw = new Float32Array(C);
    rmsnormBackward(rdx, rdw, g, x, w, rr, N, C);
    const c1 = new Float32Array(N * 80), c2 = new Float32Array(N * 96);
    gemm(A, 0, B, 0, c1, 0, N, 80, 96, false, false, false, null);
    gemm(c1, 0, B, 0, c2, 0, N, 96, 80, false, true, false, null);
    return { out, mean, rstd, dx, dw, db, ro, rr, rdx, rdw, c1, c2 };
  };
  const one = runAll();
  await nk.setThreads(2);
  assert.equal(nk.getThreads(), 2);
  nk.setThreadCrossover(0); // split everything, however small
  assert.equal(parallelParts(N, 1), 2);
  const two = runAll();
  for (const k of ['out', 'mean', 'rstd', 'dx', 'ro', 'rr', 'rdx', 'c1', 'c2'] as const) {
    assert.deepEqual(two[k], one[k], `${k} differs between 1 and 2 threads`);
  }
  // parameter gradients are summed per thread then added: same sum, another order
  for (const k of ['dw', 'db', 'rdw'] as const) assertClose(two[k], one[k], { atol: 1e-5, rtol: 1e-6, msg: k });
  // three threads split 67 rows at odd rows (23, 45): LayerNorm's backward pairs
  // rows, and splits whole pairs, so every row keeps its partner and its result
  await nk.setThreads(3);
  assert.equal(parallelParts(N, 1), 3);
  const three = runAll();
  for (const k of ['out', 'dx', 'ro', 'rdx', 'c1', 'c2'] as const) assert.deepEqual(three[k], one[k], `${k} differs between 1 and 3 threads`);
  for (const k of ['dw', 'db', 'rdw'] as const) assertClose(three[k], one[k], { atol: 1e-5, rtol: 1e-6, msg: k });
  await nk.setThreads(1);
  assert.equal(nk.getThreads(), 1);
  assert.equal(parallelParts(N, 1), 1);
});
