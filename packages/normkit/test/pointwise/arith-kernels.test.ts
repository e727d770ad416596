/**
 * The element-wise arithmetic kernels (src/kernels/js/elementwise.ts and
 * their f32x4 twins in assembly/elementwise.ts): on every backend each
 * element equals the float64 operation rounded to float32, for same-shape
 * operands, in place, per-feature vectors over rows (either side), a
 * one-element operand (either side), and
 * column sums equal a float64 sum in row order, at awkward sizes.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testEachBackend } from '../backends.js';
import { binarySame, binaryRows, binaryScalar, colSum, type ArithKind } from '../../src/kernels/js/elementwise.js';

const f64op = (k: ArithKind, x: number, y: number): number => (k === 0 ? x + y : k === 1 ? x - y : k === 2 ? x * y : x / y);
const vals = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => {
  const v = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
  const u = v - Math.floor(v);
  return i % 11 === 5 ? 0 : (u - 0.5) * 10 ** ((i % 7) - 3) + (i % 13 === 0 ? 1e6 : 0);
});

testEachBackend('binarySame and binaryRows round each float64 result to float32, in place too', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 133 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1e6 }),
    (rows, m, k, seed) => {
      const kind = k as ArithKind;
      const n = rows * m;
      const a = vals(n, seed), b = vals(n, seed + 1), v = vals(m, seed + 2);
      const out = new Float32Array(n);
      binarySame(kind, a, b, out);
      for (let i = 0; i < n; i++) assert.ok(Object.is(out[i], Math.fround(f64op(kind, a[i]!, b[i]!))), `same ${kind} at ${i}`);
      const inPlace = Float32Array.from(a);
      binarySame(kind, inPlace, b, inPlace);
      assert.deepEqual(inPlace, out);
      const r1 = new Float32Array(n), r2 = new Float32Array(n);
      binaryRows(kind, a, v, r1, rows, m, false);
      binaryRows(kind, a, v, r2, rows, m, true);
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(r1[i], Math.fround(f64op(kind, a[i]!, v[i % m]!))), `rows ${kind} at ${i}`);
        assert.ok(Object.is(r2[i], Math.fround(f64op(kind, v[i % m]!, a[i]!))), `rows (vector on the left) ${kind} at ${i}`);
      }
    }), { numRuns: 80 });
});

testEachBackend('binaryScalar rounds each float64 result to float32, either side, in place too', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1e6 }), (n, k, seed) => {
    const kind = k as ArithKind;
    const a = vals(n, seed), s = vals(3, seed + 7)[2]!; // a float32 value
    const right = new Float32Array(n), left = new Float32Array(n);
    binaryScalar(kind, a, s, right, false);
    binaryScalar(kind, a, s, left, true);
    for (let i = 0; i < n; i++) {
      assert.ok(Object.is(right[i], Math.fround(f64op(kind, a[i]!, s))), `a op s, ${kind} at ${i}`);
      assert.ok(Object.is(left[i], Math.fround(f64op(kind, s, a[i]!))), `s op a, ${kind} at ${i}`);
    }
    const inPlace = Float32Array.from(a);
    binaryScalar(kind, inPlace, s, inPlace, false);
    assert.deepEqual(inPlace, right);
  }), { numRuns: 80 });
  // a number that is not a float32 value: the TypeScript loop (one rounding of the float64 result)
  const a = Float32Array.from({ length: 100 }, (_, i) => i * 0.37);
  const out = new Float32Array(100);
  binaryScalar(2, a, 0.1, out, false);
  for (let i = 0; i < 100; i++) assert.ok(Object.is(out[i], Math.fround(a[i]! * 0.1)));
});

testEachBackend('colSum adds each column in row order in float64', () => {
  for (const [rows, m] of [[1, 1], [3, 5], [64, 4], [17, 67], [200, 3]] as const) {
    const x = vals(rows * m, rows + m);
    const acc = new Float64Array(m).fill(0.5);
    colSum(x, acc, rows, m);
    for (let j = 0; j < m; j++) {
      let s = 0.5;
      for (let r = 0; r < rows; r++) s += x[r * m + j]!;
      assert.equal(acc[j], s, `column ${j} of ${rows}x${m}`);
    }
  }
});
