/**
 * slice and its gradient at awkward shapes, on both backends, float32 and
 * float64, against an index-by-index reference: the forward is one strided
 * copy (SIMD on wasm), the backward an element loop for short blocks and a
 * block copy for long ones; a copy changes no value, so equality is exact.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { testEachBackend } from '../backends.js';

/** The slice of `x` (row-major `shape`) over [s, e) of `axis`, index by index. */
function reference(x: ArrayLike<number>, shape: number[], axis: number, s: number, e: number): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let j = s; j < e; j++) for (let i = 0; i < inner; i++) out.push(x[(o * len + j) * inner + i]!);
  return out;
}

const cases = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
  axisPick: fc.nat(),
  a: fc.nat(),
  b: fc.nat(),
  dtype: fc.constantFrom('float32' as const, 'float64' as const),
  big: fc.boolean(),
});

testEachBackend('slice and its gradient equal the index-by-index reference at awkward shapes', () => {
  fc.assert(
    fc.property(cases, ({ shape, axisPick, a, b, dtype, big }) => {
      // `big` widens the last dim so the tensor lives in wasm memory (>= 1024 values) and blocks pass 256
      const sh = big ? [...shape.slice(0, -1), shape.at(-1)! * 64] : shape;
      const axis = axisPick % sh.length;
      const len = sh[axis]!;
      const s = a % (len + 1), e = s + (b % (len - s + 1));
      const x = nk.randn(sh, { dtype, requiresGrad: true });
      const y = nk.slice(x, axis, s, e);
      const want = reference(x.data, sh, axis, s, e);
      assert.deepEqual(Array.from(y.data), want);
      // gradient: dout scattered back into zeros of x's shape
      const g = nk.randn(y.shape, { dtype });
      y.backward(g);
      const expect = new Array<number>(x.size).fill(0);
      const outer = sh.slice(0, axis).reduce((p, q) => p * q, 1), inner = sh.slice(axis + 1).reduce((p, q) => p * q, 1);
      let k = 0;
      for (let o = 0; o < outer; o++) for (let j = s; j < e; j++) for (let i = 0; i < inner; i++) expect[(o * len + j) * inner + i] = g.data[k++]!;
      assert.deepEqual(Array.from(x.grad!.data), expect);
    }),
    { numRuns: 150, seed: 42 },
  );
});

testEachBackend('a negative start counts from the end, and an empty slice has no elements', () => {
  const x = nk.tensor(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
  assert.deepEqual(nk.slice(x, 2, -2).toArray(), [[[2, 3], [6, 7], [10, 11]], [[14, 15], [18, 19], [22, 23]]]);
  assert.deepEqual(nk.slice(x, 1, 1, 1).shape, [2, 0, 4]);
});

testEachBackend('concat along any axis equals the index-by-index reference, and its gradient is the matching slice of dout', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
      fc.nat(), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), fc.boolean(),
      (shape, axisPick, lens, big) => {
        const sh = big ? [...shape.slice(0, -1), shape.at(-1)! * 50] : shape;
        const axis = axisPick % sh.length;
        const xs = lens.map((l) => nk.randn(sh.map((d, i) => (i === axis ? l : d)), { requiresGrad: true }));
        const y = nk.concat(xs, axis);
        const total = lens.reduce((a, b) => a + b, 0);
        assert.deepEqual(y.shape, sh.map((d, i) => (i === axis ? total : d)));
        const outer = sh.slice(0, axis).reduce((p, q) => p * q, 1), inner = sh.slice(axis + 1).reduce((p, q) => p * q, 1);
        const want: number[] = [];
        for (let o = 0; o < outer; o++) for (let k = 0; k < xs.length; k++) for (let j = 0; j < lens[k]! * inner; j++) want.push(xs[k]!.data[o * lens[k]! * inner + j]!);
        assert.deepEqual(Array.from(y.data), want);
        if (y.size === 0) return;
        const g = nk.randn(y.shape);
        y.backward(g);
        let off = 0;
        for (let k = 0; k < xs.length; k++) {
          if (lens[k] === 0) continue;
          assert.deepEqual(Array.from(xs[k]!.grad!.data), Array.from(nk.slice(g, axis, off, off + lens[k]!).data), `input ${k}`);
          off += lens[k]!;
        }
      },
    ),
    { numRuns: 120, seed: 9 },
  );
});
