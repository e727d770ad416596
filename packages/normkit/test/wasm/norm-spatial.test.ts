/**
 * The WebAssembly GroupNorm/InstanceNorm, spatial BatchNorm (S > 1, and the
 * evaluation-mode backward) and last-axis softmax kernels against the
 * float64 references, on random shapes: 1 channel, 1 group, prime sizes,
 * S = 1 and S > 1, offsets of 1e6, constant groups; then gradients through
 * the functional ops under the wasm backend, by finite differences and
 * against the float64 (TypeScript) path.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { groupnormForward, groupnormBackward } from '../../src/kernels/js/groupnorm.js';
import { batchnormForwardTrain, batchnormBackward, batchnormForwardEval, batchnormBackwardEval } from '../../src/kernels/js/batchnorm.js';
import { softmaxForward, softmaxBackward } from '../../src/kernels/js/softmax.js';
import { groupnormRef, groupnormBackwardRef } from '../../src/kernels/reference/groupnorm.js';
import { batchnormRef, batchnormBackwardRef } from '../../src/kernels/reference/batchnorm.js';
import { softmaxRef } from '../../src/kernels/reference/softmax.js';
import { wasmState } from '../../src/kernels/wasm/loader.js';
import { assertClose, relError } from '../helpers.js';

function withBackend<T>(b: nk.BackendName, fn: () => T): T {
  const prev = nk.getBackend();
  nk.setBackend(b);
  try {
    return fn();
  } finally {
    nk.setBackend(prev);
  }
}

/**
 * Deterministic float32 data in [-1, 1) plus `offset`; `constant` makes every
 * run of `run` values constant ('all') or every other run ('some').
 */
function data(n: number, seed: number, offset = 0, constant: 'none' | 'some' | 'all' = 'none', run = 1): Float32Array {
  const r = new nk.Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(i / run);
    const flat = constant === 'all' || (constant === 'some' && k % 2 === 0);
    a[i] = offset + (flat ? 0.25 + 0.01 * (k % 7) : r.uniform() * 2 - 1);
  }
  return a;
}

/**
 * Assert the normwise relative error max|a - b| / max|b| is below `tol`.
 * `scale` (default 0) raises the denominator to the size of the terms an
 * output is a sum of, for outputs that may cancel (xhat w + bias with a
 * single element): float32 arithmetic is exact to its precision relative to
 * the terms, not to their difference.
 */
function assertRel(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, msg: string, scale = 0): void {
  const e = scale > 0 ? maxAbsDiff(a, b) / Math.max(scale, ...Array.from(b, Math.abs)) : relError(a, b);
  assert.ok(e < tol, `${msg}: relative error ${e.toExponential(3)} >= ${tol}`);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const sizes = (primes: number[]) => fc.oneof(fc.constant(1), fc.constantFrom(...primes), fc.integer({ min: 1, max: 8 }));

const gnShapes = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  G: fc.oneof(fc.constant(1), fc.constantFrom(2, 3, 5)),
  Cg: fc.oneof(fc.constant(1), fc.constantFrom(2, 3, 7)),
  S: fc.oneof(fc.constant(1), sizes([2, 3, 5, 7, 13, 17, 67]), fc.constantFrom(16, 64)),
  offset: fc.constantFrom(0, 0, 1e3, 1e6),
  constant: fc.constantFrom('none', 'none', 'some', 'all') as fc.Arbitrary<'none' | 'some' | 'all'>,
  affine: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

test('wasm groupnorm forward matches the float64 reference (1 group, 1 channel per group, S = 1 and primes, 1e6 offsets, constant groups)', () => {
  fc.assert(fc.property(gnShapes, ({ N, G, Cg, S, offset, constant, affine, seed }) => {
    const C = G * Cg, D = Cg * S;
    const x = data(N * C * S, seed, offset, constant, D);
    const w = affine ? data(C, seed + 1) : null, b = affine ? data(C, seed + 2) : null;
    const ref = groupnormRef(x, [N, C, S], G, w, b, 1e-5);
    const out = new Float32Array(N * C * S), mean = new Float64Array(N * G), rstd = new Float64Array(N * G);
    withBackend('wasm', () => groupnormForward(out, mean, rstd, x, w, b, N, C, S, G, 1e-5));
    const msg = `N=${N} C=${C} S=${S} G=${G} offset=${offset} constant=${constant}`;
    assertRel(out, ref.out, 1e-5, msg);
    assertClose(mean, ref.mean, { atol: 1e-9, rtol: 1e-12, msg });
    assertClose(rstd, ref.var.map((v) => 1 / Math.sqrt(v + 1e-5)), { atol: 0, rtol: 1e-8, msg });
  }), { numRuns: 300 });
});

test('wasm groupnorm backward matches the float64 reference and overwrites dweight/dbias', () => {
  fc.assert(fc.property(gnShapes, ({ N, G, Cg, S, offset, constant, affine, seed }) => {
    const C = G * Cg, D = Cg * S;
    const x = data(N * C * S, seed, offset, constant, D), g = data(N * C * S, seed + 3);
    const w = affine ? data(C, seed + 1) : null;
    const st = groupnormRef(x, [N, C, S], G, null, null, 1e-5);
    const rstd = st.var.map((v) => 1 / Math.sqrt(v + 1e-5));
    const ref = groupnormBackwardRef(g, x, [N, C, S], G, w, 1e-5);
    const dinp = new Float32Array(N * C * S), dw = new Float32Array(C).fill(7), db = new Float32Array(C).fill(7);
    withBackend('wasm', () => groupnormBackward(dinp, dw, db, g, x, w, st.mean, rstd, N, C, S, G));
    const msg = `N=${N} C=${C} S=${S} G=${G} offset=${offset} constant=${constant}`;
    assertRel(dinp, ref.dinp, 1e-5, `dinp ${msg}`);
    assertRel(dw, ref.dweight, 1e-5, `dweight ${msg}`);
    assertRel(db, ref.dbias, 1e-5, `dbias ${msg}`);
    // dinp alone (no parameter gradients requested)
    const d2 = new Float32Array(N * C * S);
    withBackend('wasm', () => groupnormBackward(d2, null, null, g, x, w, st.mean, rstd, N, C, S, G));
    assert.deepEqual(d2, dinp);
  }), { numRuns: 300 });
});

const bnShapes = fc.record({
  N: fc.integer({ min: 1, max: 4 }),
  C: sizes([2, 3, 5, 7, 11]),
  S: fc.oneof(fc.constant(1), sizes([2, 3, 5, 7, 13, 17, 67]), fc.constantFrom(16, 64)),
  offset: fc.constantFrom(0, 0, 1e3, 1e6),
  constant: fc.constantFrom('none', 'none', 'some', 'all') as fc.Arbitrary<'none' | 'some' | 'all'>,
  affine: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

/** Make channel c of an [N, C, S] array constant when `constant` says so (runs of S per (n, c)). */
function bnData(N: number, C: number, S: number, seed: number, offset: number, constant: 'none' | 'some' | 'all'): Float32Array {
  const x = data(N * C * S, seed, offset);
  if (constant === 'none') return x;
  for (let c = 0; c < C; c++) {
    if (constant === 'some' && c % 2 === 1) continue;
    for (let n = 0; n < N; n++) x.fill(offset + 0.25 + 0.01 * c, (n * C + c) * S, (n * C + c + 1) * S);
  }
  return x;
}

test('wasm batchnorm train forward and backward, S > 1 (NCHW), match the float64 references', () => {
  fc.assert(fc.property(bnShapes, ({ N, C, S, offset, constant, affine, seed }) => {
    const S2 = S === 1 ? 2 : S; // this test is about spatial inputs; S = 1 is test/wasm/kernels.test.ts
    const n = N * C * S2;
    const x = bnData(N, C, S2, seed, offset, constant), g = data(n, seed + 3);
    const w = affine ? data(C, seed + 1) : null, b = affine ? data(C, seed + 2) : null;
    const ref = batchnormRef(x, [N, C, S2], w, b, 1e-5);
    const out = new Float32Array(n), mean = new Float64Array(C), rstd = new Float64Array(C);
    withBackend('wasm', () => batchnormForwardTrain(out, mean, rstd, x, w, b, N, C, S2, 1e-5));
    const msg = `N=${N} C=${C} S=${S2} offset=${offset} constant=${constant}`;
    assertRel(out, ref.out, 1e-5, msg);
    assertClose(mean, ref.mean, { atol: 1e-9, rtol: 1e-12, msg });
    assertClose(rstd, ref.var.map((v) => 1 / Math.sqrt(v + 1e-5)), { atol: 0, rtol: 1e-8, msg });
    const bref = batchnormBackwardRef(g, x, [N, C, S2], w, 1e-5);
    const dinp = new Float32Array(n), dw = new Float32Array(C).fill(7), db = new Float32Array(C).fill(7);
    withBackend('wasm', () => batchnormBackward(dinp, dw, db, g, x, w, mean, rstd, N, C, S2));
    assertRel(dinp, bref.dinp, 1e-5, `dinp ${msg}`);
    assertRel(dw, bref.dweight, 1e-5, `dweight ${msg}`);
    assertRel(db, bref.dbias, 1e-5, `dbias ${msg}`);
  }), { numRuns: 300 });
});

test('wasm batchnorm eval forward (S > 1) and eval backward (S = 1 and S > 1) match float64 references', () => {
  fc.assert(fc.property(bnShapes, ({ N, C, S, offset, constant, affine, seed }) => {
    const n = N * C * S;
    const x = bnData(N, C, S, seed, offset, constant), g = data(n, seed + 3);
    const w = affine ? data(C, seed + 1) : null, b = affine ? data(C, seed + 2) : null;
    const rm = data(C, seed + 4, offset), rv = data(C, seed + 5).map((v) => v * v + 0.5);
    const msg = `N=${N} C=${C} S=${S} offset=${offset}`;
    const eref = batchnormRef(x, [N, C, S], w, b, 1e-5, { mean: rm, var: rv });
    const out = new Float32Array(n);
    withBackend('wasm', () => batchnormForwardEval(out, x, rm, rv, w, b, N, C, S, 1e-5));
    const noBias = batchnormRef(x, [N, C, S], w, null, 1e-5, { mean: rm, var: rv }).out;
    assertRel(out, eref.out, 1e-5, msg, Math.max(...Array.from(noBias, Math.abs)));
    // eval backward: constant statistics; float64 reference written out here
    const mean = Float64Array.from(rm), rstd = Float64Array.from(rv, (v) => 1 / Math.sqrt(v + 1e-5));
    const rdinp = new Float64Array(n), rdw = new Float64Array(C), rdb = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / S) % C;
      rdinp[i] = g[i]! * (w ? w[c]! : 1) * rstd[c]!;
      rdb[c] += g[i]!;
      rdw[c] += g[i]! * (x[i]! - mean[c]!) * rstd[c]!;
    }
    const dinp = new Float32Array(n), dw = new Float32Array(C).fill(7), db = new Float32Array(C).fill(7);
    withBackend('wasm', () => batchnormBackwardEval(dinp, dw, db, g, x, w, mean, rstd, N, C, S));
    assertRel(dinp, rdinp, 1e-5, `dinp ${msg}`);
    assertRel(dw, rdw, 1e-5, `dweight ${msg}`);
    assertRel(db, rdb, 1e-5, `dbias ${msg}`);
  }), { numRuns: 300 });
});

const smShapes = fc.record({
  rows: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 9 })),
  D: fc.oneof(fc.constant(1), fc.constantFrom(2, 3, 5, 7, 31, 61, 127, 1000), fc.integer({ min: 1, max: 70 })),
  scale: fc.constantFrom(1, 5, 30),
  offset: fc.constantFrom(0, 0, 1e3, 1e6),
  log: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

test('wasm softmax / log-softmax (last axis) forward and backward match the float64 reference', () => {
  fc.assert(fc.property(smShapes, ({ rows, D, scale, offset, log, seed }) => {
    const x = data(rows * D, seed).map((v) => offset + v * scale), g = data(rows * D, seed + 1);
    const ref = softmaxRef(x, [rows, D], -1, log);
    const out = new Float32Array(rows * D);
    withBackend('wasm', () => softmaxForward(out, x, rows, D, 1, log));
    const msg = `rows=${rows} D=${D} scale=${scale} offset=${offset} log=${log}`;
    assertRel(out, ref, 1e-5, msg);
    // elementwise too: every probability to 1e-5 relative (down to f32's normal range)
    assertClose(out, ref, log ? { atol: 1e-6, rtol: 1e-6, msg } : { atol: 1e-30, rtol: 1e-5, msg });
    // backward in float64 from the float32 y the kernel is given: dx = y (dy - sum dy y), or dy - exp(y) sum dy
    // The result is a difference of two terms, which can cancel (a row of two log-probabilities
    // near log 1/2 with dy close to exp(y) sum dy): float32 arithmetic is then exact only relative
    // to the terms, so the error is measured against the largest term, not the (tiny) result.
    const y = Float32Array.from(ref);
    const rd = new Float64Array(rows * D);
    let terms = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let i = r * D; i < (r + 1) * D; i++) s += log ? g[i]! : g[i]! * y[i]!;
      for (let i = r * D; i < (r + 1) * D; i++) {
        rd[i] = log ? g[i]! - Math.exp(y[i]!) * s : y[i]! * (g[i]! - s);
        terms = Math.max(terms, log ? Math.abs(g[i]!) + Math.abs(Math.exp(y[i]!) * s) : Math.abs(y[i]! * g[i]!) + Math.abs(y[i]! * s));
      }
    }
    const dinp = new Float32Array(rows * D);
    withBackend('wasm', () => softmaxBackward(dinp, g, y, rows, D, 1, log));
    assertRel(dinp, rd, 1e-5, `backward ${msg}`, terms);
  }), { numRuns: 300 });
});

test('wasm softmax: -inf entries (masks), all -inf lines and NaN behave as the TypeScript kernel, along rows (inner = 1) and across the inner axis (inner > 1)', () => {
  const x = Float32Array.from([0, -Infinity, 1, 2, -Infinity, -Infinity, -Infinity, -Infinity, 1, NaN, 0, 3, 5, 5, 5, 5]);
  for (const log of [false, true]) {
    const a = new Float32Array(16), b = new Float32Array(16);
    withBackend('wasm', () => softmaxForward(a, x, 4, 4, 1, log));
    softmaxForward.js(b, x, 4, 4, 1, log);
    assertClose(a, b, { atol: 1e-7, rtol: 1e-6, msg: `log=${log}` });
    assert.equal(a[1], log ? -Infinity : 0);
    // the same values as [1, 4, 4] over the middle axis: four lines of stride 4, one SIMD lane each;
    // transposed, the lines are the rows above (-inf entries, one all -inf line, a NaN line)
    const xt = new Float32Array(16);
    for (let i = 0; i < 4; i++) for (let q = 0; q < 4; q++) xt[i * 4 + q] = x[q * 4 + i]!;
    const c = new Float32Array(16), d = new Float32Array(16);
    withBackend('wasm', () => softmaxForward(c, xt, 1, 4, 4, log));
    softmaxForward.js(d, xt, 1, 4, 4, log);
    assertClose(c, d, { atol: 1e-7, rtol: 1e-6, msg: `inner=4 log=${log}` });
    assertClose(Float32Array.from(a, (_, i) => c[(i % 4) * 4 + (i >> 2)]!), a, { atol: 1e-7, rtol: 1e-6, msg: `inner=4 log=${log}: as the rows` });
  }
  const y = data(2 * 5 * 3, 9), a = new Float32Array(30), b = new Float32Array(30);
  withBackend('wasm', () => softmaxForward(a, y, 2, 5, 3, false));
  softmaxForward.js(b, y, 2, 5, 3, false);
  assertClose(a, b, { atol: 1e-7, rtol: 1e-6, msg: 'inner=3' });
});

test('the wasm kernels are the ones that run (results differ from the TypeScript kernels in the last bits)', () => {
  assert.ok(wasmState() !== null, 'WebAssembly module did not load');
  const N = 4, C = 8, S = 300, G = 2;
  const x = data(N * C * S, 1, 0.5), g = data(N * C * S, 2);
  const runs: [string, (o: Float32Array) => void][] = [
    ['groupnormForward', (o) => groupnormForward(o, new Float64Array(N * G), new Float64Array(N * G), x, null, null, N, C, S, G, 1e-5)],
    ['batchnormForwardTrain', (o) => batchnormForwardTrain(o, new Float64Array(C), new Float64Array(C), x, null, null, N, C, S, 1e-5)],
    ['softmaxForward', (o) => softmaxForward(o, x, N * C, S, 1, false)],
    ['softmaxBackward', (o) => softmaxBackward(o, g, x, N * C, S, 1, true)],
  ];
  for (const [name, run] of runs) {
    const a = new Float32Array(N * C * S), b = new Float32Array(N * C * S);
    withBackend('wasm', () => run(a));
    withBackend('js', () => run(b));
    assert.notDeepEqual(a, b, `${name}: wasm result bit-identical to the TypeScript kernel`);
    assertRel(a, b, 1e-5, name);
  }
});

test('gradients through groupNorm, instanceNorm, batchNorm (NCHW) and softmax under the wasm backend: finite differences and the float64 path', () => {
  const build = (dtype: 'float32' | 'float64') => {
    const rng = new nk.Rng(5);
    const mk = (shape: number[]) => nk.randn(shape, { rng, dtype }).requiresGrad_();
    return { x: mk([2, 6, 5, 5]), w: mk([6]), b: mk([6]), w2: mk([6]), b2: mk([6]), w3: mk([6]), b3: mk([6]) };
  };
  const fn = (x: nk.Tensor, w: nk.Tensor, b: nk.Tensor, w2: nk.Tensor, b2: nk.Tensor, w3: nk.Tensor, b3: nk.Tensor) => {
    // every bias reaches the loss (a per-channel constant before a norm over that channel would not)
    const h1 = nk.batchNorm(x, null, null, w3, b3, true);
    const h2 = nk.groupNorm(h1, 3, w, b);
    const h3 = nk.instanceNorm(nk.mul(h2, h2), null, null, w2, b2, true);
    return nk.logSoftmax(nk.softmax(nk.reshape(h3, [2, 150]), -1), -1);
  };
  // float32 under wasm: central differences (h = 1e-2, float32 noise) against the wasm backward
  withBackend('wasm', () => {
    const p = build('float32');
    const inputs = [p.x, p.w, p.b, p.w2, p.b2, p.w3, p.b3];
    const r = nk.gradcheck(fn, inputs, { h: 1e-2, atol: 2e-3, rtol: 3e-2, maxPerInput: 40 });
    assert.ok(r.ok, `wasm gradcheck failed: max abs error ${r.maxAbsError}, worst ${JSON.stringify(r.worst)}`);
  });
  // the same gradients against the float64 TypeScript path (itself checked by gradcheck at h = 1e-6)
  const grads = (dtype: 'float32' | 'float64', backend: nk.BackendName) => withBackend(backend, () => {
    const p = build(dtype);
    const inputs = [p.x, p.w, p.b, p.w2, p.b2, p.w3, p.b3];
    const y = fn(...(inputs as [nk.Tensor, nk.Tensor, nk.Tensor, nk.Tensor, nk.Tensor, nk.Tensor, nk.Tensor]));
    const rng = new nk.Rng(3);
    const gy = nk.randn(y.shape, { rng, dtype });
    y.backward(gy);
    return inputs.map((t) => t.grad!.data);
  });
  const g64 = grads('float64', 'js');
  const g32 = grads('float32', 'wasm');
  for (let i = 0; i < g64.length; i++) assertRel(g32[i]!, g64[i]!, 1e-4, `gradient of input ${i}`);
  const p64 = build('float64');
  const r64 = nk.gradcheck(fn, [p64.x, p64.w, p64.b, p64.w2, p64.b2, p64.w3, p64.b3], { maxPerInput: 20 });
  assert.ok(r64.ok, `float64 gradcheck failed: ${r64.maxAbsError}`);
});

after(async () => {
  await nk.setThreads(1);
  nk.setThreadCrossover(150_000);
});

test('two threads compute the same groupnorm, spatial batchnorm and softmax as one', async () => {
  const N = 3, C = 10, S = 37, G = 5; // odd sizes: uneven splits of rows and channels
  const x = data(N * C * S, 1, 3), g = data(N * C * S, 2), w = data(C, 3), b = data(C, 4);
  const runAll = () => withBackend('wasm', () => {
    const go = new Float32Array(N * C * S), gm = new Float64Array(N * G), gr = new Float64Array(N * G);
    groupnormForward(go, gm, gr, x, w, b, N, C, S, G, 1e-5);
    const gdx = new Float32Array(N * C * S), gdw = new Float32Array(C), gdb = new Float32Array(C);
    groupnormBackward(gdx, gdw, gdb, g, x, w, gm, gr, N, C, S, G);
    const bo = new Float32Array(N * C * S), bm = new Float64Array(C), br = new Float64Array(C);
    batchnormForwardTrain(bo, bm, br, x, w, b, N, C, S, 1e-5);
    const bdx = new Float32Array(N * C * S), bdw = new Float32Array(C), bdb = new Float32Array(C);
    batchnormBackward(bdx, bdw, bdb, g, x, w, bm, br, N, C, S);
    const eo = new Float32Array(N * C * S);
    batchnormForwardEval(eo, x, w, b.map((v) => v * v + 0.5), w, b, N, C, S, 1e-5);
    const edx = new Float32Array(N * C * S), edw = new Float32Array(C), edb = new Float32Array(C);
    batchnormBackwardEval(edx, edw, edb, g, x, w, bm, br, N, C, S);
    const so = new Float32Array(N * C * S), sdx = new Float32Array(N * C * S);
    softmaxForward(so, x, N * C, S, 1, false);
    softmaxBackward(sdx, g, so, N * C, S, 1, false);
    const lo = new Float32Array(N * C * S), ldx = new Float32Array(N * C * S);
    softmaxForward(lo, x, N * C, S, 1, true);
    softmaxBackward(ldx, g, lo, N * C, S, 1, true);
    return { go, gm, gr, gdx, gdw, gdb, bo, bm, br, bdx, bdw, bdb, eo, edx, edw, edb, so, sdx, lo, ldx };
  });
  const one = runAll();
  await nk.setThreads(2);
  nk.setThreadCrossover(0); // split everything, however small
  const two = runAll();
  for (const k of Object.keys(one) as (keyof typeof one)[]) {
    // groupnorm's parameter gradients are summed per thread, then added: same sum, another order
    if (k === 'gdw' || k === 'gdb') assertClose(two[k], one[k], { atol: 1e-6, rtol: 1e-6, msg: k });
    else assert.deepEqual(two[k], one[k], `${k} differs between 1 and 2 threads`);
  }
  await nk.setThreads(1);
});
