/**
 * neg, abs, square, sqrt and exp, and the derivatives of those and of log,
 * on the wasm backend (assembly/unary.ts, f32x4) against the TypeScript loops
 * (float64, rounded once): bit for bit, at awkward lengths (SIMD tails, one
 * element), in place, and at the float32 limits (+-0, subnormals, FLT_MAX,
 * +-inf, NaN). exp is compared with Math.exp rounded to float32: identical
 * but for the rarest rounding ties (none in these samples; within 1 ulp by
 * construction). Also checks that these ops now run in WebAssembly.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/index.js';
import { pointwiseForward, pointwiseBackward, type PointwiseGradOp } from '../../src/kernels/js/pointwise.js';
import { getBackend, setBackend } from '../../src/kernels/backend.js';
import { wasmState } from '../../src/kernels/wasm/loader.js';

const SPECIAL = [0, -0, 1e-45, -1e-45, 1e-38, -1e-38, 1.5, -2.25, 3.4028234663852886e38, -3.4028234663852886e38, Infinity, -Infinity, NaN,
  88.7, 88.8, -87.3, -103.9, -104, 1e-7, -1e-7, 0.5, 100, -100, 20.5, 7];

function wasm<T>(fn: () => T): T {
  const prev = getBackend();
  setBackend('wasm');
  try { return fn(); } finally { setBackend(prev); }
}

function same(a: Float32Array, b: Float32Array, what: string, inputs: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    const ok = Object.is(a[i], b[i]) || (Number.isNaN(a[i]!) && Number.isNaN(b[i]!));
    assert.ok(ok, `${what} at ${i} (x = ${inputs[i]}): wasm ${a[i]} vs TypeScript ${b[i]}`);
  }
}

function checkOps(xs: Float32Array): void {
  const n = xs.length;
  const dout = Float32Array.from({ length: n }, (_, i) => [1, -0.75, 3e-39, 2.5, -1e30][i % 5]!);
  for (const op of ['neg', 'abs', 'square', 'sqrt', 'exp', 'log'] as PointwiseGradOp[]) {
    const yJs = new Float32Array(n), yW = new Float32Array(n);
    pointwiseForward.js(op, xs, yJs);
    wasm(() => pointwiseForward(op, xs, yW));
    same(yW, yJs, `${op} forward`, xs);
    const gJs = new Float32Array(n), gW = new Float32Array(n);
    pointwiseBackward.js(op, dout, xs, yJs, gJs);
    wasm(() => pointwiseBackward(op, dout, xs, yJs, gW));
    same(gW, gJs, `${op} derivative`, xs);
  }
}

test('the SIMD unary kernels equal the TypeScript loops bit for bit, at the float32 limits and awkward lengths', () => {
  checkOps(Float32Array.from(SPECIAL));
  for (const n of [1, 3, 4, 5, 16, 17, 31, 1001]) checkOps(Float32Array.from({ length: n }, (_, i) => SPECIAL[(i * 7) % SPECIAL.length]! * (1 + i * 1e-3)));
  fc.assert(fc.property(fc.array(fc.float({ noDefaultInfinity: false }), { minLength: 16, maxLength: 200 }), (v) => checkOps(Float32Array.from(v))), { numRuns: 80, seed: 5 });
});

test('exp: the SIMD kernel is within 1 ulp of Math.exp rounded to float32 over its whole range', () => {
  const xs = Float32Array.from({ length: 200_001 }, (_, i) => -110 + (200 * i) / 200_000);
  const y = new Float32Array(xs.length);
  wasm(() => pointwiseForward('exp', xs, y));
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const r = Math.fround(Math.exp(xs[i]!));
    if (r === y[i]) continue;
    // one float32 ulp at r (subnormal spacing below FLT_MIN)
    const ulp = Math.max(2 ** (Math.floor(Math.log2(Math.abs(r))) - 23), 2 ** -149);
    worst = Math.max(worst, Math.abs(y[i]! - r) / ulp);
  }
  assert.ok(worst <= 1, `worst ${worst} ulp`);
});

test('in place (dst = src) and in WebAssembly', () => {
  const x = Float32Array.from({ length: 37 }, (_, i) => i * 0.3 - 5);
  const ref = new Float32Array(37);
  pointwiseForward.js('exp', x, ref);
  wasm(() => pointwiseForward('exp', x, x));
  assert.deepEqual(Array.from(x), Array.from(ref));
  // the wasm module exports the kernels the backend routes these ops to
  const w = wasmState()!.exports;
  assert.equal(typeof w.unaryForward, 'function');
  assert.equal(typeof w.unaryBackward, 'function');
});
