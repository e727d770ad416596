/**
 * Every WebAssembly kernel against the float64 references (and the
 * TypeScript kernels) on random shapes: 1 column, prime sizes, huge common
 * offsets, constant rows; then gradients through layerNorm / rmsNorm / matmul
 * with each backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { gemm } from '../../src/kernels/js/gemm.js';
import { layernormForward, layernormBackward } from '../../src/kernels/js/layernorm.js';
import { rmsnormForward, rmsnormBackward } from '../../src/kernels/js/rmsnorm.js';
import { layernormRef, layernormBackwardRef } from '../../src/kernels/reference/layernorm.js';
import { rmsnormRef, rmsnormBackwardRef } from '../../src/kernels/reference/rmsnorm.js';
import { batchnormForwardTrain, batchnormBackward, batchnormForwardEval } from '../../src/kernels/js/batchnorm.js';
import { batchnormRef, batchnormBackwardRef } from '../../src/kernels/reference/batchnorm.js';
import { allocateResident, isResident, wasmState } from '../../src/kernels/wasm/loader.js';
import { assertClose } from '../helpers.js';

function withBackend<T>(b: nk.BackendName, fn: () => T): T {
  const prev = nk.getBackend();
  nk.setBackend(b);
  try {
    return fn();
  } finally {
    nk.setBackend(prev);
  }
}

/** Deterministic float32 data: values in [-1, 1) plus `offset`, or a constant row pattern. */
function data(n: number, seed: number, offset = 0, constant = false): Float32Array {
  const r = new nk.Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + (constant ? 0.5 : r.uniform() * 2 - 1);
  return a;
}

/** f64 reference matmul: C (+)= bias + op(A) op(B). */
function gemmRef(A: Float32Array, aOff: number, B: Float32Array, bOff: number, C0: Float32Array, cOff: number,
  M: number, N: number, K: number, tA: boolean, tB: boolean, acc: boolean, bias: Float32Array | null = null): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = (acc ? C0[cOff + i * N + j]! : 0) + (bias ? bias[j]! : 0);
      for (let k = 0; k < K; k++) {
        s += (tA ? A[aOff + k * M + i]! : A[aOff + i * K + k]!) * (tB ? B[bOff + j * K + k]! : B[bOff + k * N + j]!);
      }
      out[i * N + j] = s;
    }
  }
  return out;
}

test('the wasm backend loads in Node and is selected by default', () => {
  assert.ok(wasmState() !== null, 'WebAssembly module did not load');
  assert.equal(nk.getBackend(), 'wasm');
  assert.throws(() => nk.setBackend('gpu' as nk.BackendName), /unknown backend 'gpu'/);
});

test('wasm gemm matches the float64 reference on random shapes, offsets and transposes', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 37 }), fc.integer({ min: 1, max: 140 }),
    fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 1000 }),
    (M, N, K, tA, tB, acc, off, seed) => {
      const A = data(M * K + off, seed), B = data(K * N + 2 * off, seed + 1), C = data(M * N + off, seed + 2);
      const want = gemmRef(A, off, B, 2 * off, C, off, M, N, K, tA, tB, acc);
      const got = C.slice();
      withBackend('wasm', () => gemm(A, off, B, 2 * off, got, off, M, N, K, tA, tB, acc, null));
      assertClose(got.subarray(off, off + M * N), want, { atol: 2e-6 * K, rtol: 1e-5, msg: `gemm M=${M} N=${N} K=${K} tA=${tA} tB=${tB}` });
      // memory outside C's window is untouched
      assert.deepEqual(got.subarray(0, off), C.subarray(0, off));
    }), { numRuns: 60 });
});

test('wasm gemm at blocked shapes (two 256-column panels, K over several 128-k panels, packed B with a ragged last panel) matches float64', () => {
  // [33, 300, 300]: one k panel (300 x 256 floats fit 512 KiB), two column panels;
  // [9, 260, 520]: 520 x 256 floats do not fit, so five k panels, and the second
  // column panel is the 4 columns past the last full 8-column tile
  for (const [M, N, K] of [[33, 300, 300], [9, 260, 520]] as const) {
    const A = data(M * K, 1), B = data(N * K, 2), bias = data(N, 3);
    for (const tB of [false, true]) {
      for (const b of [null, bias]) {
        // C starts stale: without accumulate every element must be overwritten
        const stale = new Float32Array(M * N).fill(9), got = stale.slice();
        const want = gemmRef(A, 0, B, 0, stale, 0, M, N, K, false, tB, false, b);
        withBackend('wasm', () => gemm(A, 0, B, 0, got, 0, M, N, K, false, tB, false, b));
        assertClose(got, want, { atol: 2e-6 * K, rtol: 1e-5, msg: `M=${M} N=${N} K=${K} tB=${tB} bias=${b !== null}` });
      }
    }
  }
});

test('the gemmRows export packs an unpacked B^T itself, and reads a B packed by packB, over any row range', () => {
  const w = wasmState()!.exports;
  const [M, N, K] = [13, 19, 37];
  // resident arrays (at least 1024 floats each), so the export can be called with their addresses
  const res = (a: Float32Array): Float32Array => { const r = allocateResident(Math.max(a.length, 1024))!; r.set(a); return r; };
  const A = res(data(M * K, 31)), Bt = res(data(N * K, 32)), C = res(new Float32Array(M * N).fill(5)), scratch = allocateResident(Math.max(N * K, 1024))!;
  const want = gemmRef(A, 0, Bt, 0, new Float32Array(M * N), 0, M, N, K, false, true, false);
  // rows [0, 6) then [6, M): two calls, as two threads would make them
  for (const [m0, m1] of [[0, 6], [6, M]]) w.gemmRows(A.byteOffset, Bt.byteOffset, C.byteOffset, M, N, K, 0, 1, 0, scratch.byteOffset, 0, 0, m0, m1);
  assertClose(C.subarray(0, M * N), want, { atol: 2e-6 * K, rtol: 1e-5, msg: 'unpacked B^T' });
  C.fill(5);
  w.packB(scratch.byteOffset, Bt.byteOffset, N, K, 1);
  w.gemmRows(A.byteOffset, scratch.byteOffset, C.byteOffset, M, N, K, 0, 0, 0, 0, 0, 1, 0, M);
  assertClose(C.subarray(0, M * N), want, { atol: 2e-6 * K, rtol: 1e-5, msg: 'B packed by packB' });
});

test('wasm gemm with a bias row: every tile shape and edge, with and without accumulate, K = 0 included', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 37 }), fc.integer({ min: 0, max: 140 }),
    fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1000 }),
    (M, N, K, tA, tB, acc, seed) => {
      const A = data(M * K, seed), B = data(K * N, seed + 1), C = data(M * N, seed + 2), bias = data(N, seed + 3);
      const want = gemmRef(A, 0, B, 0, C, 0, M, N, K, tA, tB, acc, bias);
      const got = C.slice();
      withBackend('wasm', () => gemm(A, 0, B, 0, got, 0, M, N, K, tA, tB, acc, bias));
      assertClose(got, want, { atol: 2e-6 * (K + 1), rtol: 1e-5, msg: `gemm+bias M=${M} N=${N} K=${K} tA=${tA} tB=${tB} acc=${acc}` });
    }), { numRuns: 80 });
});

const rowShapes = fc.record({
  N: fc.oneof(fc.constant(1), fc.constantFrom(2, 3, 5, 7, 11, 13), fc.integer({ min: 1, max: 9 })),
  C: fc.oneof(fc.constant(1), fc.constantFrom(2, 3, 5, 7, 31, 61, 127), fc.integer({ min: 1, max: 70 })),
  offset: fc.constantFrom(0, 0, 1e3, 1e6),
  constant: fc.boolean(),
  affine: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

test('wasm layernorm forward matches the float64 reference (offsets 1e6, constant rows, 1 column)', () => {
  fc.assert(fc.property(rowShapes, ({ N, C, offset, constant, affine, seed }) => {
    const x = data(N * C, seed, offset, constant);
    const w = affine ? data(C, seed + 1) : null, b = affine ? data(C, seed + 2) : null;
    const ref = layernormRef(x, N, C, w, b, 1e-5);
    const out = new Float32Array(N * C), mean = new Float64Array(N), rstd = new Float64Array(N);
    withBackend('wasm', () => layernormForward(out, mean, rstd, x, w, b, N, C, 1e-5));
    assertClose(out, ref.out, { atol: 2e-5, rtol: 1e-5, msg: `N=${N} C=${C} offset=${offset}` });
    assertClose(mean, ref.mean, { atol: 1e-9, rtol: 1e-12 });
    assertClose(rstd, ref.rstd, { atol: 0, rtol: 1e-9 });
  }), { numRuns: 80 });
});

test('wasm layernorm backward matches the float64 Jacobian reference and overwrites dweight/dbias', () => {
  fc.assert(fc.property(rowShapes, ({ N, C, offset, affine, seed }) => {
    const x = data(N * C, seed, offset), g = data(N * C, seed + 3);
    const w = affine ? data(C, seed + 1) : null;
    const ref = layernormBackwardRef(g, x, N, C, w, 1e-5);
    const st = layernormRef(x, N, C, null, null, 1e-5);
    const dinp = new Float32Array(N * C), dw = new Float32Array(C).fill(1), db = new Float32Array(C).fill(-1);
    withBackend('wasm', () => layernormBackward(dinp, dw, db, g, x, w, st.mean, st.rstd, N, C));
    const scale = Math.max(1, ...Array.from(st.rstd));
    assertClose(dinp, ref.dinp, { atol: 2e-5 * scale, rtol: 1e-4, msg: `N=${N} C=${C} offset=${offset}` });
    assertClose(dw, ref.dweight, { atol: 1e-5 * N, rtol: 1e-5 }); // stale 1 and -1 overwritten
    assertClose(db, ref.dbias, { atol: 1e-5 * N, rtol: 1e-5 });
  }), { numRuns: 60 });
});

test('wasm rmsnorm forward and backward match the float64 references', () => {
  fc.assert(fc.property(rowShapes, ({ N, C, offset, constant, affine, seed }) => {
    const x = data(N * C, seed, offset, constant), g = data(N * C, seed + 3);
    const w = affine ? data(C, seed + 1) : null;
    const ref = rmsnormRef(x, N, C, w, 1e-6);
    const out = new Float32Array(N * C), rstd = new Float64Array(N);
    withBackend('wasm', () => rmsnormForward(out, rstd, x, w, N, C, 1e-6));
    assertClose(out, ref.out, { atol: 1e-6, rtol: 2e-6, msg: `N=${N} C=${C} offset=${offset}` });
    assertClose(rstd, ref.rstd, { atol: 0, rtol: 1e-9 });
    const bref = rmsnormBackwardRef(g, x, N, C, w, 1e-6);
    const dinp = new Float32Array(N * C), dw = new Float32Array(C);
    withBackend('wasm', () => rmsnormBackward(dinp, dw, g, x, w, ref.rstd, N, C));
    const scale = Math.max(1, ...Array.from(ref.rstd));
    assertClose(dinp, bref.dinp, { atol: 2e-6 * scale, rtol: 1e-4 });
    assertClose(dw, bref.dweight, { atol: 1e-5 * N, rtol: 1e-5 });
  }), { numRuns: 60 });
});

test('wasm batchnorm ([N, C]) train forward, backward and eval forward match the float64 references', () => {
  fc.assert(fc.property(rowShapes, ({ N, C, offset, constant, affine, seed }) => {
    const M = N + 1; // at least 2 rows: a batch of one has zero variance everywhere
    const x = data(M * C, seed, offset, constant), g = data(M * C, seed + 3);
    const w = affine ? data(C, seed + 1) : null, b = affine ? data(C, seed + 2) : null;
    const ref = batchnormRef(x, [M, C], w, b, 1e-5);
    const out = new Float32Array(M * C), mean = new Float64Array(C), rstd = new Float64Array(C);
    withBackend('wasm', () => batchnormForwardTrain(out, mean, rstd, x, w, b, M, C, 1, 1e-5));
    assertClose(out, ref.out, { atol: 3e-5, rtol: 1e-5, msg: `M=${M} C=${C} offset=${offset}` });
    assertClose(mean, ref.mean, { atol: 1e-9, rtol: 1e-12 });
    assertClose(rstd, ref.var.map((v) => 1 / Math.sqrt(v + 1e-5)), { atol: 0, rtol: 1e-8 });
    const bref = batchnormBackwardRef(g, x, [M, C], w, 1e-5);
    const dinp = new Float32Array(M * C), dw = new Float32Array(C).fill(7), db = new Float32Array(C).fill(7);
    withBackend('wasm', () => batchnormBackward(dinp, dw, db, g, x, w, mean, rstd, M, C, 1));
    const scale = Math.max(1, ...Array.from(rstd));
    assertClose(dinp, bref.dinp, { atol: 3e-5 * scale, rtol: 1e-4, msg: `dinp M=${M} C=${C} offset=${offset}` });
    assertClose(dw, bref.dweight, { atol: 1e-5 * M, rtol: 1e-5 }); // overwritten, not accumulated
    assertClose(db, bref.dbias, { atol: 1e-5 * M, rtol: 1e-5 });
    const rm = data(C, seed + 4, offset), rv = data(C, seed + 5).map((v) => v * v + 0.5);
    const eref = batchnormRef(x, [M, C], w, b, 1e-5, { mean: rm, var: rv });
    const eout = new Float32Array(M * C);
    withBackend('wasm', () => batchnormForwardEval(eout, x, rm, rv, w, b, M, C, 1, 1e-5));
    assertClose(eout, eref.out, { atol: 1e-4, rtol: 1e-5 });
  }), { numRuns: 60 });
});

test('float64 data falls back to the TypeScript kernels (bit-identical)', () => {
  const N = 3, C = 17;
  const x = Float64Array.from(data(N * C, 5));
  const o1 = new Float64Array(N * C), o2 = new Float64Array(N * C);
  const m = new Float64Array(N), r = new Float64Array(N);
  withBackend('wasm', () => layernormForward(o1, m, r, x, null, null, N, C, 1e-5));
  layernormForward.js(o2, m, r, x, null, null, N, C, 1e-5);
  assert.deepEqual(o1, o2);
});

test('large float32 tensors live in wasm memory under the wasm backend, not under js', () => {
  const big = withBackend('wasm', () => nk.zeros([64, 1024]));
  assert.ok(isResident(big.data), 'expected a 64x1024 float32 tensor to be wasm-resident');
  assert.ok(big.data.every((v) => v === 0));
  const small = withBackend('wasm', () => nk.zeros([4, 4]));
  assert.ok(!isResident(small.data));
  const plain = withBackend('js', () => nk.zeros([64, 1024]));
  assert.ok(!isResident(plain.data));
  // a resident view survives memory growth (shared memories never detach)
  const v = allocateResident(1 << 16)!;
  v[7] = 3;
  const grow = allocateResident(64 << 20); // 256 MiB forces a grow
  assert.equal(v[7], 3);
  assert.ok(grow === null || grow.length === 64 << 20);
});

test('gradients through layerNorm, rmsNorm and matmul agree between the js and wasm backends', () => {
  const run = (b: nk.BackendName) => withBackend(b, () => {
    const rng = new nk.Rng(11);
    const x = nk.randn([40, 96], { rng }).requiresGrad_();
    const w = nk.randn([96], { rng }).requiresGrad_();
    const bias = nk.randn([96], { rng }).requiresGrad_();
    const W = nk.randn([96, 48], { rng }).requiresGrad_();
    const h = nk.matmul(nk.layerNorm(x, [96], w, bias), W);
    const y = nk.rmsNorm(h, [48], null, 1e-6);
    nk.sum(nk.mul(y, y)).backward();
    return [y.data, x.grad!.data, w.grad!.data, bias.grad!.data, W.grad!.data];
  });
  const js = run('js');
  const wa = run('wasm');
  for (let i = 0; i < js.length; i++) assertClose(wa[i]!, js[i]!, { atol: 2e-4, rtol: 2e-4, msg: `tensor ${i}` });
});
