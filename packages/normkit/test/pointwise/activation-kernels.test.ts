/**
 * The activation kernels (exact GELU, sigmoid, tanh, ReLU; forward and
 * derivative) on every backend against a float64 reference: the 'js' loops
 * of src/kernels/js/pointwise.ts and the SIMD twins of
 * src/kernels/wasm/assembly/gelu.ts and activations.ts, at awkward lengths
 * (SIMD tails, 1 element) and values from 1e-30 to the float32 limits.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testEachBackend } from '../backends.js';
import { geluWithDerivative, pointwiseForward, pointwiseBackward } from '../../src/kernels/js/pointwise.js';
import * as nk from '../../src/index.js';
import { normalCdf } from '../../src/kernels/js/erf.js';
import { getBackend } from '../../src/kernels/backend.js';

/** float64 reference: x Phi(x) and Phi(x) + x phi(x), with Phi from erfc (1.3e-13, test/tensor/erf.test.ts). */
const geluRef = (x: number): number => x * normalCdf(x);
const geluGradRef = (x: number): number => normalCdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

const SPECIAL = [0, -0, 1e-30, -1e-30, 0.25, -0.25, 0.7518, -0.7518, 1, -1, 5.5, -5.5, 10, -10, 40, -40, 3.4e38, -3.4e38];

/**
 * Tolerances. The 'js' loops compute in float64: within 2 float32 ulps (and
 * exact subnormals). The SIMD kernel computes in float32 lanes (assembly/gelu.ts):
 * measured over 3M points in [-40, 40] by bench/gelu-accuracy.ts,
 * forward within 5.9e-7 relative (5 ulps) and 3 subnormal ulps; derivative
 * within 1.5e-7 absolute (about one float32 ulp of Phi's scale, 1; PyTorch's
 * float32 cdf + x pdf has errors of that size too): where its terms cancel
 * (x in [-0.8, -0.5]) that is more than 4e-7 of the result.
 */
const TOL = {
  js: { fwdRel: 2.5e-7, fwdAbs: 1e-45, bwdRel: 4e-7, bwdAbs: 2e-8 },
  wasm: { fwdRel: 8e-7, fwdAbs: 4.3e-45, bwdRel: 4e-7, bwdAbs: 2e-7 },
};

function check(xs: Float32Array): void {
  const tol = TOL[getBackend()];
  const n = xs.length;
  const y = new Float32Array(n);
  const g = new Float32Array(n);
  const dout = new Float32Array(n).map((_, i) => 1 - (i % 3) * 0.75);
  // the gradient as a differentiated GELU forms it: the derivative from the forward pass, times dout
  const d = new Float32Array(n);
  pointwiseForward('gelu', xs, y);
  geluWithDerivative(xs, new Float32Array(n), d);
  for (let i = 0; i < n; i++) g[i] = dout[i]! * d[i]!;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const ry = Math.fround(geluRef(x));
    assert.ok(Math.abs(y[i]! - ry) <= tol.fwdRel * Math.abs(ry) + tol.fwdAbs, `gelu(${x}) = ${y[i]}, reference ${ry}`);
    const rg = dout[i]! * geluGradRef(x);
    // The derivative crosses 0 near x = -0.75: an absolute floor of 2e-8 covers its float32 rounding there
    assert.ok(Math.abs(g[i]! - rg) <= tol.bwdRel * Math.abs(rg) + tol.bwdAbs, `gelu'(${x}) * ${dout[i]} = ${g[i]}, reference ${rg}`);
  }
}

testEachBackend('GELU forward and backward match the float64 reference at awkward lengths and extreme values', () => {
  check(Float32Array.from(SPECIAL));
  for (const n of [1, 2, 3, 5, 17, 1001]) check(Float32Array.from({ length: n }, (_, i) => SPECIAL[i % SPECIAL.length]! * 0.37 + i * 0.01));
  fc.assert(fc.property(
    fc.array(fc.float({ min: -60, max: 60, noNaN: true }), { minLength: 1, maxLength: 300 }),
    (vals) => check(Float32Array.from(vals)),
  ), { numRuns: 60 });
});

testEachBackend('GELU propagates NaN and works in place (dst = src)', () => {
  const x = Float32Array.from([NaN, 1, -2, 0.5, 3, -0.1, 7, NaN, 2]);
  const y = new Float32Array(x.length);
  pointwiseForward('gelu', x, y);
  assert.ok(Number.isNaN(y[0]!) && Number.isNaN(y[7]!));
  const inPlace = Float32Array.from(x);
  pointwiseForward('gelu', inPlace, inPlace);
  assert.deepEqual(Array.from(inPlace), Array.from(y));
  const g = new Float32Array(x.length);
  geluWithDerivative(x, new Float32Array(x.length), g);
  assert.ok(Number.isNaN(g[0]!));
  assert.ok(Math.abs(g[1]! - geluGradRef(1)) < 1e-6);
});

testEachBackend('geluWithDerivative (a differentiated forward) gives GELU and its derivative: the float64 reference, and on wasm the forward kernel\'s bits and the same bits in SIMD lanes and tails', () => {
  const tol = TOL[getBackend()];
  const cases = [Float32Array.from(SPECIAL), Float32Array.from([NaN, -13.5, -20, 1e-40, Infinity, -Infinity, 0.3, -0.3, NaN, 0.7, -0.8, 2, -3, 4.5, -5.5, 9, 0.01])];
  for (const n of [1, 3, 5, 16, 17, 19, 1001]) cases.push(Float32Array.from({ length: n }, (_, i) => SPECIAL[i % SPECIAL.length]! * 0.37 + i * 0.013 - 6));
  for (const xs of cases) {
    const n = xs.length;
    const y = new Float32Array(n), d = new Float32Array(n), y1 = new Float32Array(n);
    geluWithDerivative(xs, y, d);
    pointwiseForward('gelu', xs, y1);
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      if (Number.isNaN(x)) { assert.ok(Number.isNaN(y[i]!) && Number.isNaN(d[i]!), `NaN at ${i}`); continue; }
      if (!Number.isFinite(x)) continue;
      const ry = Math.fround(geluRef(x)), rd = geluGradRef(x);
      assert.ok(Math.abs(y[i]! - ry) <= tol.fwdRel * Math.abs(ry) + tol.fwdAbs, `gelu(${x}) = ${y[i]}, reference ${ry}`);
      assert.ok(Math.abs(d[i]! - rd) <= tol.bwdRel * Math.abs(rd) + tol.bwdAbs, `gelu'(${x}) = ${d[i]}, reference ${rd}`);
    }
    if (getBackend() === 'wasm' && n >= 17) {
      // the same expressions in the same order: a differentiated forward gives the bits of the
      // plain forward, and a value gives the same bits in a SIMD lane and in the scalar tail
      // (shifting by one moves values between them; below 16 elements the TypeScript loops run)
      assert.deepEqual(Array.from(y, String), Array.from(y1, String), `forward bits, n ${n}`);
      const y2 = new Float32Array(n - 1), d2 = new Float32Array(n - 1);
      geluWithDerivative(xs.subarray(1), y2, d2);
      assert.deepEqual(Array.from(y2, String), Array.from(y.subarray(1), String), `forward bits shifted, n ${n}`);
      assert.deepEqual(Array.from(d2, String), Array.from(d.subarray(1), String), `derivative bits shifted, n ${n}`);
    }
  }
});

testEachBackend('F.gelu under autograd: the same output as without, and dx = dout * gelu\'(x)', () => {
  const xs = Float32Array.from({ length: 203 }, (_, i) => (i - 101) * 0.061);
  const g = nk.tensor(Float32Array.from({ length: 203 }, (_, i) => Math.cos(i)), [203]);
  const x = nk.tensor(xs, [203], { requiresGrad: true });
  const y = nk.gelu(x);
  y.backward(g);
  const y0 = nk.noGrad(() => nk.gelu(nk.tensor(xs, [203])));
  assert.deepEqual(Array.from(y.data), Array.from(y0.data));
  const tol = TOL[getBackend()];
  for (let i = 0; i < 203; i++) {
    const r = g.data[i]! * geluGradRef(xs[i]!);
    assert.ok(Math.abs(x.grad!.data[i]! - r) <= tol.bwdRel * Math.abs(r) + tol.bwdAbs, `dx[${i}] = ${x.grad!.data[i]}, reference ${r}`);
  }
});

const REF: Record<'sigmoid' | 'tanh' | 'relu', { f: (x: number) => number; d: (x: number, y: number) => number }> = {
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), d: (_x, y) => y * (1 - y) },
  tanh: { f: Math.tanh, d: (_x, y) => 1 - y * y },
  relu: { f: (x) => (x > 0 ? x : 0), d: (x) => (x > 0 ? 1 : 0) },
};

testEachBackend('sigmoid, tanh and ReLU forward and backward match float64 at awkward lengths, tiny and huge inputs', () => {
  for (const op of ['sigmoid', 'tanh', 'relu'] as const) {
    const sizes = [1, 3, 4, 17, 1001];
    for (const n of sizes) {
      const x = Float32Array.from({ length: n }, (_, i) => [0, -0, 1e-30, -3e-9, 0.004, -0.0099, 0.0101, 0.5, -2, 9, -30, 88, -104, 1e4, -3.4e38, 3.4e38][i % 16]! * (1 + (i % 5) * 0.1));
      const y = new Float32Array(n);
      const g = new Float32Array(n);
      const dout = new Float32Array(n).map((_, i) => 1 - (i % 3) * 0.7);
      pointwiseForward(op, x, y);
      pointwiseBackward(op, dout, x, y, g);
      for (let i = 0; i < n; i++) {
        const ry = Math.fround(REF[op].f(x[i]!));
        assert.ok(Object.is(y[i], ry) || Math.abs(y[i]! - ry) <= 1.5e-7 * Math.abs(ry) + 1e-45, `${op}(${x[i]}) = ${y[i]}, reference ${ry}`);
        const rg = Math.fround(dout[i]! * REF[op].d(x[i]!, y[i]!));
        assert.ok(Object.is(g[i], rg) || Math.abs(g[i]! - rg) <= 1.5e-7 * Math.abs(rg) + 1e-45, `${op}'(${x[i]}) = ${g[i]}, reference ${rg}`);
      }
    }
    const nan = Float32Array.from({ length: 20 }, (_, i) => (i === 7 ? NaN : i - 10));
    const out = new Float32Array(20);
    pointwiseForward(op, nan, out);
    assert.equal(Number.isNaN(out[7]!), op !== 'relu', `${op}(NaN)`);
    const inPlace = Float32Array.from(nan);
    pointwiseForward(op, inPlace, inPlace);
    assert.deepEqual(inPlace, out, `${op} in place`);
  }
});
