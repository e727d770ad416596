/**
 * Fast row-wise kernels held to their float64 references: random shapes
 * (1 column, prime sizes, long rows), offsets up to 1e6, constant rows,
 * 1e30-scale inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { relError } from '../helpers.js';
import { testEachBackend } from '../backends.js';
import { Rng } from '../../src/tensor/random.js';
import { layernormForward, layernormBackward } from '../../src/kernels/js/layernorm.js';
import { rmsnormForward, rmsnormBackward } from '../../src/kernels/js/rmsnorm.js';
import { dytForward, dytBackward } from '../../src/kernels/js/dyt.js';
import { lrnForward } from '../../src/kernels/js/lrn.js';
import { normalizeForward } from '../../src/kernels/js/normalize.js';
import { layernormRef, layernormBackwardRef } from '../../src/kernels/reference/layernorm.js';
import { rmsnormRef, rmsnormBackwardRef } from '../../src/kernels/reference/rmsnorm.js';
import { dytRef } from '../../src/kernels/reference/dyt.js';
import { lrnRef } from '../../src/kernels/reference/lrn.js';
import { normalizeRef } from '../../src/kernels/reference/normalize.js';

/** Row lengths worth covering: 1 column, primes, powers of two, a long row. */
const widths = fc.constantFrom(1, 2, 3, 7, 13, 31, 64, 127, 257, 1024, 4099);

/** float32 data: offset + spread * normal. */
function data32(n: number, seed: number, offset: number, spread: number): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + spread * rng.normal();
  return a;
}

const params = fc.record({
  N: fc.integer({ min: 1, max: 5 }),
  C: widths,
  seed: fc.integer({ min: 0, max: 1e6 }),
  offset: fc.constantFrom(0, 1, -3, 2000, 1e4, -1e5, 1e6),
  spread: fc.constantFrom(1e-2, 1, 30),
  affine: fc.boolean(),
});

testEachBackend('layernormForward equals the float64 reference (float32, rel err < 1e-5)', () => {
  fc.assert(fc.property(params, ({ N, C, seed, offset, spread, affine }) => {
    const x = data32(N * C, seed, offset, spread);
    const w = affine ? data32(C, seed + 1, 1, 0.5) : null;
    const b = affine ? data32(C, seed + 2, 0, 0.5) : null;
    const out = new Float32Array(N * C);
    const mean = new Float64Array(N);
    const rstd = new Float64Array(N);
    layernormForward(out, mean, rstd, x, w, b, N, C, 1e-5);
    const ref = layernormRef(Float64Array.from(x), N, C, w, b, 1e-5);
    assert.ok(relError(out, ref.out) < 1e-5, `out rel err ${relError(out, ref.out)}`);
    assert.ok(relError(mean, ref.mean) < 1e-12, 'mean');
    assert.ok(relError(rstd, ref.rstd) < 1e-9, 'rstd');
  }), { numRuns: 60, seed: 42 });
});

testEachBackend('layernormBackward equals the Jacobian reference and overwrites dweight/dbias (the kernels\' gradient contract)', () => {
  fc.assert(fc.property(params.filter((p) => p.C <= 257), ({ N, C, seed, offset, spread, affine }) => {
    const x = data32(N * C, seed, offset, spread);
    const dy = data32(N * C, seed + 3, 0, 1);
    const w = affine ? data32(C, seed + 1, 1, 0.5) : null;
    const mean = new Float64Array(N);
    const rstd = new Float64Array(N);
    layernormForward(new Float32Array(N * C), mean, rstd, x, w, null, N, C, 1e-5);
    const dx = new Float32Array(N * C);
    const dw = new Float32Array(C).fill(1); // stale values the kernel must overwrite, not add to
    const db = new Float32Array(C).fill(1);
    layernormBackward(dx, dw, db, dy, x, w, mean, rstd, N, C);
    const ref = layernormBackwardRef(Float64Array.from(dy), Float64Array.from(x), N, C, w, 1e-5);
    assert.ok(relError(dx, ref.dinp) < 1e-5, `dinp rel err ${relError(dx, ref.dinp)}`);
    assert.ok(relError(dw, ref.dweight) < 1e-5, 'dweight');
    assert.ok(relError(db, ref.dbias) < 1e-5, 'dbias');
  }), { numRuns: 40, seed: 43 });
});

testEachBackend('rmsnormForward and rmsnormBackward equal the float64 references', () => {
  fc.assert(fc.property(params.filter((p) => p.C <= 1024), ({ N, C, seed, offset, spread, affine }) => {
    const x = data32(N * C, seed, offset, spread);
    const dy = data32(N * C, seed + 3, 0, 1);
    const w = affine ? data32(C, seed + 1, 1, 0.5) : null;
    const out = new Float32Array(N * C);
    const rstd = new Float64Array(N);
    rmsnormForward(out, rstd, x, w, N, C, 2 ** -23);
    const ref = rmsnormRef(Float64Array.from(x), N, C, w, 2 ** -23);
    assert.ok(relError(out, ref.out) < 1e-5, `out rel err ${relError(out, ref.out)}`);
    if (C <= 257) {
      const dx = new Float32Array(N * C);
      const dw = new Float32Array(C);
      rmsnormBackward(dx, dw, dy, x, w, rstd, N, C);
      const bref = rmsnormBackwardRef(Float64Array.from(dy), Float64Array.from(x), N, C, w, 2 ** -23);
      assert.ok(relError(dx, bref.dinp) < 1e-5, `dinp rel err ${relError(dx, bref.dinp)}`);
      assert.ok(relError(dw, bref.dweight) < 1e-5, 'dweight');
    }
  }), { numRuns: 40, seed: 44 });
});

testEachBackend('dytForward equals the reference; dytBackward matches finite differences of the reference', () => {
  fc.assert(fc.property(params.filter((p) => p.offset === 0 && p.C <= 257), fc.integer({ min: -2000, max: 2000 }), ({ N, C, seed, spread, affine }, alphaK) => {
    const alpha = alphaK / 1000;
    const x = data32(N * C, seed, 0, spread);
    const w = affine ? data32(C, seed + 1, 1, 0.5) : null;
    const b = affine ? data32(C, seed + 2, 0, 0.5) : null;
    const out = new Float32Array(N * C);
    dytForward(out, x, alpha, w, b, N, C);
    assert.ok(relError(out, dytRef(x, N, C, alpha, w, b)) < 1e-5);
    // dalpha: d/dalpha sum(dy * y), central difference on the reference
    const dy = data32(N * C, seed + 3, 0, 1);
    const da = new Float64Array(1);
    dytBackward(null, da, null, null, dy, x, alpha, w, N, C);
    const h = 1e-6;
    const f = (a: number) => dytRef(x, N, C, a, w, b).reduce((s, v, i) => s + v * dy[i]!, 0);
    const num = (f(alpha + h) - f(alpha - h)) / (2 * h);
    assert.ok(Math.abs(da[0]! - num) <= 1e-5 * (1 + Math.abs(num)), `dalpha ${da[0]} vs ${num}`);
  }), { numRuns: 30, seed: 45 });
});

testEachBackend('lrnForward and normalizeForward equal their float64 references', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(1, 2, 3, 0.5, Infinity),
    (N, C, S, size, seed, p) => {
      const x = data32(N * C * S, seed, 0, 3);
      const out = new Float32Array(x.length);
      lrnForward(out, new Float64Array(x.length), x, N, C, S, size, 0.3, 0.75, 2);
      assert.ok(relError(out, lrnRef(x, N, C, S, size, 0.3, 0.75, 2)) < 1e-5, 'lrn');
      const on = new Float32Array(x.length);
      normalizeForward(on, new Float64Array(N * S), x, N, C, S, p, 1e-12);
      assert.ok(relError(on, normalizeRef(x, N, C, S, p, 1e-12)) < 1e-5, `normalize p=${p}`);
    }), { numRuns: 60, seed: 46 });
});

testEachBackend('float32 rows with offsets up to 1e6 and spread 1e-2 stay within 1e-2 of float64 truth', () => {
  for (const offset of [1e2, 1e4, 1e5, 1e6, -1e6]) {
    for (const spread of [1e-2, 1]) {
      const N = 4;
      const C = 512;
      const x = data32(N * C, 7, offset, spread);
      const out = new Float32Array(N * C);
      layernormForward(out, new Float64Array(N), new Float64Array(N), x, null, null, N, C, 1e-5);
      // truth: the exact float32 inputs (at 1e6 their spacing is 0.0625), normalized in float64
      const truth = layernormRef(Float64Array.from(x), N, C, null, null, 1e-5).out;
      const e = relError(out, truth);
      assert.ok(e < 1e-2, `offset ${offset} spread ${spread}: rel err ${e}`);
    }
  }
  // the failure mode this guards against: E[x^2] - E[x]^2 in float32 at offset 1e4
  const x = data32(512, 8, 1e4, 1);
  let s = Math.fround(0);
  let s2 = Math.fround(0);
  for (const v of x) {
    s = Math.fround(s + v);
    s2 = Math.fround(s2 + Math.fround(v * v));
  }
  const naiveVar = Math.fround(s2 / 512) - Math.fround(s / 512) ** 2;
  const trueVar = layernormRef(Float64Array.from(x), 1, 512, null, null, 0).rstd[0]! ** -2;
  assert.ok(Math.abs(naiveVar - trueVar) / trueVar > 1e-2, 'naive float32 variance should be visibly wrong here');
});

testEachBackend('constant rows give finite zeros (forward and backward)', () => {
  for (const v of [0, 1, 3.7, 1e7, -1e30]) {
    const C = 33;
    const x = new Float32Array(2 * C).fill(v);
    const out = new Float32Array(2 * C).fill(NaN);
    const mean = new Float64Array(2);
    const rstd = new Float64Array(2);
    layernormForward(out, mean, rstd, x, null, null, 2, C, 1e-5);
    assert.ok(out.every((y) => y === 0), `layernorm of constant ${v}: ${out[0]}`);
    const dx = new Float32Array(2 * C);
    layernormBackward(dx, null, null, data32(2 * C, 1, 0, 1), x, null, mean, rstd, 2, C);
    assert.ok(dx.every(Number.isFinite), 'finite gradients');
  }
});

testEachBackend('1e30-scale float32 inputs and 1e200-scale float64 inputs do not overflow', () => {
  const N = 3;
  const C = 100;
  const base = data32(N * C, 9, 0.5, 1);
  const big = base.map((v) => v * 1e30);
  const ref = layernormRef(Float64Array.from(base), N, C, null, null, 0).out;
  const out = new Float32Array(N * C);
  layernormForward(out, new Float64Array(N), new Float64Array(N), big, null, null, N, C, 1e-5);
  assert.ok(out.every(Number.isFinite));
  assert.ok(relError(out, ref) < 1e-5, `layernorm 1e30: ${relError(out, ref)}`);
  const rout = new Float32Array(N * C);
  rmsnormForward(rout, new Float64Array(N), big, null, N, C, 2 ** -23);
  assert.ok(relError(rout, rmsnormRef(Float64Array.from(base), N, C, null, 0).out) < 1e-5, 'rmsnorm 1e30');
  // float64 beyond sqrt(max double): the plain sum of squares is Infinity, the kernels rescale
  const huge = Float64Array.from(base, (v) => v * 1e200);
  const out64 = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  layernormForward(out64, mean, rstd, huge, null, null, N, C, 1e-5);
  assert.ok(relError(out64, ref) < 1e-12, `layernorm 1e200: ${relError(out64, ref)}`);
  assert.ok(mean.every(Number.isFinite) && rstd.every((r) => r > 0 && Number.isFinite(r)));
  const r64 = new Float64Array(N * C);
  rmsnormForward(r64, new Float64Array(N), huge, null, N, C, 1e-12);
  assert.ok(relError(r64, rmsnormRef(Float64Array.from(base), N, C, null, 0).out) < 1e-12, 'rmsnorm 1e200');
  const n64 = new Float64Array(N * C);
  normalizeForward(n64, new Float64Array(N), huge, N, C, 1, 2, 1e-12);
  assert.ok(relError(n64, normalizeRef(base, N, C, 1, 2, 1e-12)) < 1e-12, 'normalize 1e200');
});

testEachBackend('layernormBackward with gradients near float32\'s limit: float32 block sums that overflow are redone in f64', () => {
  // dout ~ 3e37: 16 such terms per float32 lane overflow (> 3.4e38), their
  // f64 sums do not; the gradient itself (rstd (dn - mean dn - ...)) is finite.
  // Four rows (two pairs of the wasm kernel) of 200 columns (a scalar tail too).
  const N = 4, C = 202;
  const x = data32(N * C, 21, 0, 1);
  const unit = data32(N * C, 22, 3, 0.5);
  const dy = unit.map((v) => v * 3e37);
  const mean = new Float64Array(N), rstd = new Float64Array(N);
  layernormForward(new Float32Array(N * C), mean, rstd, x, null, null, N, C, 1e-5);
  const dx = new Float32Array(N * C);
  layernormBackward(dx, null, null, dy, x, null, mean, rstd, N, C);
  assert.ok(dx.every(Number.isFinite), 'finite input gradient');
  // the gradient is linear in dout: compare with the unit-scale run, scaled
  const ref = layernormBackwardRef(Float64Array.from(unit), Float64Array.from(x), N, C, null, 1e-5);
  const got = Float64Array.from(dx, (v) => v / 3e37);
  assert.ok(relError(got, ref.dinp) < 1e-5, `dinp rel err ${relError(got, ref.dinp)}`);
});
