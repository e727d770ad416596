import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import {
  batchnormBackward, batchnormBackwardEval, batchnormForwardEval, batchnormForwardTrain,
} from '../../src/kernels/js/batchnorm.js';
import { groupnormBackward, groupnormForward } from '../../src/kernels/js/groupnorm.js';
import { batchnormBackwardRef, batchnormRef } from '../../src/kernels/reference/batchnorm.js';
import { groupnormBackwardRef, groupnormRef } from '../../src/kernels/reference/groupnorm.js';
import { instancenormRef } from '../../src/kernels/reference/instancenorm.js';
import { relError } from '../helpers.js';
import { testEachBackend } from '../backends.js';

/** float32 data: offset + scale * randn, from a seeded generator. */
function data(n: number, seed: number, offset = 0, scale = 1): Float32Array {
  const rng = new nk.Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < a.length; i++) a[i] = offset + scale * rng.normal();
  return a;
}

// shapes [N, C, ...spatial] with 1 channel, primes and size-1 dims among them
const dimArb = fc.constantFrom(1, 2, 3, 5, 7, 11);
const shapeArb = fc.tuple(dimArb, dimArb, fc.array(fc.constantFrom(1, 2, 3, 5, 7), { maxLength: 2 })).map(([N, C, sp]) => [N, C, ...sp]);
const caseArb = fc.record({ shape: shapeArb, seed: fc.integer({ min: 0, max: 1e6 }), offset: fc.constantFrom(0, 3, -50, 1000), scale: fc.constantFrom(1, 0.1, 30), affine: fc.boolean() });
const RUNS = { numRuns: 60, seed: 20240611 };
const TOL = 1e-5;

const spatial = (shape: number[]) => shape.slice(2).reduce((a, b) => a * b, 1);

testEachBackend('batchnormForwardTrain and batchnormBackward equal the float64 reference (float32, random shapes)', () => {
  fc.assert(fc.property(caseArb, ({ shape, seed, offset, scale, affine }) => {
    const [N, C] = shape as [number, number];
    const S = spatial(shape);
    fc.pre(N * S > 1);
    const n = N * C * S;
    const x = data(n, seed, offset, scale);
    const w = affine ? data(C, seed + 1, 1, 0.5) : null;
    const b = affine ? data(C, seed + 2) : null;
    const out = new Float32Array(n);
    const mean = new Float64Array(C);
    const rstd = new Float64Array(C);
    batchnormForwardTrain(out, mean, rstd, x, w, b, N, C, S, 1e-5);
    const ref = batchnormRef(x, shape, w, b, 1e-5);
    assert.ok(relError(out, ref.out) < TOL, `out ${shape}: ${relError(out, ref.out)}`);
    assert.ok(relError(mean, ref.mean) < 1e-12 || relError(mean, ref.mean) < TOL * 1e-3);
    assert.ok(relError(rstd, Float64Array.from(ref.var, (v) => 1 / Math.sqrt(v + 1e-5))) < 1e-10);
    const dout = data(n, seed + 3);
    const dinp = new Float32Array(n);
    const dw = new Float32Array(C);
    const db = new Float32Array(C);
    batchnormBackward(dinp, dw, db, dout, x, w, mean, rstd, N, C, S);
    const g = batchnormBackwardRef(dout, x, shape, w, 1e-5);
    assert.ok(relError(dinp, g.dinp) < TOL, `dinp ${shape}: ${relError(dinp, g.dinp)}`);
    assert.ok(relError(dw, g.dweight) < TOL, `dweight ${shape}`);
    assert.ok(relError(db, g.dbias) < TOL, `dbias ${shape}`);
  }), RUNS);
});

testEachBackend('batchnormForwardEval and batchnormBackwardEval equal the reference with running statistics', () => {
  fc.assert(fc.property(caseArb, ({ shape, seed, offset, scale, affine }) => {
    const [N, C] = shape as [number, number];
    const S = spatial(shape);
    const n = N * C * S;
    const x = data(n, seed, offset, scale);
    const rm = data(C, seed + 4, offset, scale);
    const rv = Float32Array.from(data(C, seed + 5), (v) => scale * scale * (0.5 + Math.abs(v)));
    const w = affine ? data(C, seed + 1, 1, 0.5) : null;
    const b = affine ? data(C, seed + 2) : null;
    const out = new Float32Array(n);
    batchnormForwardEval(out, x, rm, rv, w, b, N, C, S, 1e-5);
    const ref = batchnormRef(x, shape, w, b, 1e-5, { mean: rm, var: rv });
    assert.ok(relError(out, ref.out) < TOL, `eval ${shape}: ${relError(out, ref.out)}`);
    // backward with constant statistics: dinp = dout * w * rstd
    const dout = data(n, seed + 3);
    const dinp = new Float32Array(n);
    const dw = new Float32Array(C);
    const mean = Float64Array.from(rm);
    const rstd = Float64Array.from(rv, (v) => 1 / Math.sqrt(v + 1e-5));
    batchnormBackwardEval(dinp, dw, null, dout, x, w, mean, rstd, N, C, S);
    const expect = new Float64Array(n);
    const expectW = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / S) % C;
      expect[i] = dout[i]! * (w ? w[c]! : 1) * rstd[c]!;
      expectW[c] += dout[i]! * (ref.out[i]! - (b ? b[c]! : 0)) / (w ? w[c]! : 1);
    }
    assert.ok(relError(dinp, expect) < TOL);
    if (!affine) assert.ok(relError(dw, expectW) < TOL);
  }), RUNS);
});

testEachBackend('groupnorm fast path equals its reshape + row-wise reference, forward and backward', () => {
  const gArb = fc.record({ N: dimArb, G: fc.constantFrom(1, 2, 3, 5), Cg: fc.constantFrom(1, 2, 3, 7), sp: fc.array(fc.constantFrom(1, 2, 3, 5), { maxLength: 2 }), seed: fc.integer({ min: 0, max: 1e6 }), offset: fc.constantFrom(0, -7, 500), affine: fc.boolean() });
  fc.assert(fc.property(gArb, ({ N, G, Cg, sp, seed, offset, affine }) => {
    const C = G * Cg;
    const shape = [N, C, ...sp];
    const S = spatial(shape);
    fc.pre(Cg * S > 1);
    const n = N * C * S;
    const x = data(n, seed, offset);
    const w = affine ? data(C, seed + 1, 1, 0.5) : null;
    const b = affine ? data(C, seed + 2) : null;
    const out = new Float32Array(n);
    const mean = new Float64Array(N * G);
    const rstd = new Float64Array(N * G);
    groupnormForward(out, mean, rstd, x, w, b, N, C, S, G, 1e-5);
    const ref = groupnormRef(x, shape, G, w, b, 1e-5);
    assert.ok(relError(out, ref.out) < TOL, `out ${shape} G=${G}: ${relError(out, ref.out)}`);
    assert.ok(relError(mean, ref.mean) < 1e-12);
    const dout = data(n, seed + 3);
    const dinp = new Float32Array(n);
    const dw = new Float32Array(C);
    const db = new Float32Array(C);
    groupnormBackward(dinp, dw, db, dout, x, w, mean, rstd, N, C, S, G);
    const g = groupnormBackwardRef(dout, x, shape, G, w, 1e-5);
    assert.ok(relError(dinp, g.dinp) < TOL, `dinp ${shape} G=${G}: ${relError(dinp, g.dinp)}`);
    assert.ok(relError(dw, g.dweight) < TOL);
    assert.ok(relError(db, g.dbias) < TOL);
  }), RUNS);
});

testEachBackend('instance norm (group norm with G = C) equals the instance-norm reference and LayerNorm over spatial dims', () => {
  fc.assert(fc.property(caseArb, ({ shape, seed, offset, scale }) => {
    const [N, C] = shape as [number, number];
    const S = spatial(shape);
    fc.pre(S > 1);
    const x = nk.tensor(data(N * C * S, seed, offset, scale), shape);
    const y = nk.instanceNorm(x);
    const ref = instancenormRef(x.data, shape, null, null, 1e-5).out;
    assert.ok(relError(y.data, ref) < TOL);
    const ln = nk.layerNorm(nk.reshape(x, [N, C, S]), [S]);
    assert.ok(relError(y.data, ln.data) < TOL);
  }), { numRuns: 30, seed: 7 });
});

testEachBackend('the functional ops use the same kernels: batchNorm/groupNorm outputs equal the references in float32', () => {
  const x = nk.tensor(data(2 * 6 * 5, 1, 2000), [2, 6, 5]);
  assert.ok(relError(nk.batchNorm(x, null, null, null, null, true).data, batchnormRef(x.data, x.shape, null, null, 1e-5).out) < TOL);
  assert.ok(relError(nk.groupNorm(x, 3).data, groupnormRef(x.data, x.shape, 3, null, null, 1e-5).out) < TOL);
});

// ---------------------------------------------------------------- numerics

testEachBackend('offsets up to 1e6 with spread 1e-2: within 1e-2 relative of float64 truth (float32 and float64 inputs)', () => {
  for (const offset of [1e4, 1e5, 1e6]) {
    // float32 storage: the truth is the float64 statistics of the stored values
    const x32 = nk.tensor(data(4 * 3 * 16, 11, offset, 1e-2), [4, 3, 16]);
    const truthBn = batchnormRef(x32.data, x32.shape, null, null, 1e-5).out;
    const truthGn = groupnormRef(x32.data, x32.shape, 3, null, null, 1e-5).out;
    assert.ok(relError(nk.batchNorm(x32, null, null, null, null, true).data, truthBn) < 1e-2, `batchNorm f32 offset ${offset}`);
    assert.ok(relError(nk.groupNorm(x32, 3).data, truthGn) < 1e-2, `groupNorm f32 offset ${offset}`);
    assert.ok(relError(nk.instanceNorm(x32).data, instancenormRef(x32.data, x32.shape, null, null, 1e-5).out) < 1e-2);
    // float64 storage keeps the full spread: compare with the reference computed on centred data
    const x64 = nk.tensor(Float64Array.from(data(4 * 3 * 16, 12), (v) => offset + 1e-2 * v), [4, 3, 16]);
    const centred = Float64Array.from(x64.data, (v) => v - offset);
    const truth = batchnormRef(centred, x64.shape, null, null, 1e-5).out; // shift-invariant
    const rel = relError(nk.batchNorm(x64, null, null, null, null, true).data, truth);
    assert.ok(rel < 1e-6, `batchNorm f64 offset ${offset}: ${rel}`);
  }
  // the moderate case, where float32 still resolves the spread: randn + 2000 is exact to float32 rounding
  const y = nk.tensor(data(8 * 4 * 8, 13, 2000), [8, 4, 8]);
  assert.ok(relError(nk.batchNorm(y, null, null, null, null, true).data, batchnormRef(y.data, y.shape, null, null, 1e-5).out) < 1e-5);
});

testEachBackend('constant channels above 1e7 give the bias (0), not NaN, with finite gradients', () => {
  const x = nk.full([3, 2, 4], 1.5e7).requiresGrad_();
  x.data.fill(3.3e7, 4, 8); // sample 0, channel 1: a different constant (channel 1 is not constant)
  const w = nk.ones([2]).requiresGrad_();
  const b = nk.tensor([0.5, 0]).requiresGrad_();
  const y = nk.batchNorm(x, null, null, w, b, true);
  for (let i = 0; i < y.size; i++) assert.ok(Number.isFinite(y.data[i]!), `y[${i}] = ${y.data[i]}`);
  for (let i = 0; i < 3; i++) for (let s = 0; s < 4; s++) assert.equal(y.data[i * 8 + s], 0.5); // channel 0 is constant
  nk.sum(nk.mul(y, y)).backward();
  for (const g of [x.grad!, w.grad!, b.grad!]) for (const v of g.data) assert.ok(Number.isFinite(v));
  // fully constant input through every op
  const c = nk.full([2, 3, 5], 2.5e7);
  for (const out of [nk.batchNorm(c, null, null, null, null, true), nk.groupNorm(c, 3), nk.instanceNorm(c), new nk.BatchNorm1d(3).forward(c)]) {
    assert.ok(out.data.every((v) => v === 0), 'constant input must normalize to exactly 0');
  }
});

testEachBackend('inputs near 1e30 do not overflow', () => {
  const x = nk.tensor(data(3 * 2 * 6, 21, 0, 1e30), [3, 2, 6]);
  const check = (out: nk.Tensor, ref: Float64Array, what: string) => {
    assert.ok(out.data.every((v) => Number.isFinite(v)), `${what}: non-finite output`);
    assert.ok(relError(out.data, ref) < 1e-5, `${what}: ${relError(out.data, ref)}`);
  };
  check(nk.batchNorm(x, null, null, null, null, true), batchnormRef(x.data, x.shape, null, null, 1e-5).out, 'batchNorm');
  check(nk.groupNorm(x, 2), groupnormRef(x.data, x.shape, 2, null, null, 1e-5).out, 'groupNorm');
  check(nk.instanceNorm(x), instancenormRef(x.data, x.shape, null, null, 1e-5).out, 'instanceNorm');
  // running stats of 1e30 data (variance ~1e60) stay finite in float64 buffers
  const bn = new nk.BatchNorm1d(2, { dtype: 'float64' });
  bn.forward(x);
  assert.ok(bn.runningMean!.data.every(Number.isFinite) && bn.runningVar!.data.every(Number.isFinite));
});
