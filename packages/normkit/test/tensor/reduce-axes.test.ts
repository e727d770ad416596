/**
 * sum and mean over any set of axes (adjacent or apart, keepdim or not) and
 * their gradients, on both backends and dtypes, against an index-by-index
 * float64 reference. Axes apart go through one strided copy and the row
 * kernel; the gradient is a broadcast (a strided copy with stride 0).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { testEachBackend } from '../backends.js';

/** Row-major index -> coordinates. */
function coords(i: number, shape: number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { c[d] = i % shape[d]!; i = Math.floor(i / shape[d]!); }
  return c;
}

/** Output index of input coordinates `c` when `axes` are reduced (the kept coordinates, row-major). */
function outIndex(c: number[], shape: number[], axes: number[]): number {
  let o = 0;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) o = o * shape[d]! + c[d]!;
  return o;
}

const cases = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
  pick: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  keepdim: fc.boolean(),
  dtype: fc.constantFrom('float32' as const, 'float64' as const),
  big: fc.boolean(),
  op: fc.constantFrom('sum' as const, 'mean' as const),
});

testEachBackend('sum and mean over any axes, and their gradients, equal the index-by-index reference', () => {
  fc.assert(
    fc.property(cases, ({ shape, pick, keepdim, dtype, big, op }) => {
      // `big` makes the tensor large enough to live in wasm memory (>= 1024 values)
      const sh = big ? [...shape.slice(0, -1), shape.at(-1)! * 40] : shape;
      const axes = sh.map((_, i) => i).filter((i) => pick[i]);
      if (axes.length === 0) axes.push(sh.length - 1);
      const x = nk.randn(sh, { dtype, requiresGrad: true });
      const y = op === 'sum' ? nk.sum(x, axes, keepdim) : nk.mean(x, axes, keepdim);
      const count = axes.reduce((p, a) => p * sh[a]!, 1);
      const want = new Float64Array(x.size / count);
      for (let i = 0; i < x.size; i++) want[outIndex(coords(i, sh), sh, axes)] += x.data[i]!;
      if (op === 'mean') for (let o = 0; o < want.length; o++) want[o] /= count;
      assert.deepEqual(y.shape, sh.map((d, i) => (axes.includes(i) ? 1 : d)).filter((_, i) => keepdim || !axes.includes(i)));
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      for (let o = 0; o < want.length; o++) {
        const scale = Math.max(1, Math.abs(want[o]!), Math.sqrt(count) / (op === 'mean' ? count : 1));
        assert.ok(Math.abs(y.data[o]! - want[o]!) <= tol * scale, `${op} over [${axes}] of [${sh}] (${dtype}): output ${o} ${y.data[o]} vs ${want[o]}`);
      }
      // the gradient of sum(g * y): g broadcast back (divided by the count for mean)
      const g = nk.randn(y.shape, { dtype });
      y.backward(g);
      const k = op === 'mean' ? 1 / count : 1;
      for (let i = 0; i < x.size; i++) {
        const e = g.data[outIndex(coords(i, sh), sh, axes)]! * k;
        assert.ok(Math.abs(x.grad!.data[i]! - e) <= (dtype === 'float64' ? 1e-15 : 1e-7) * Math.max(1, Math.abs(e)), `grad ${i}: ${x.grad!.data[i]} vs ${e}`);
      }
    }),
    { numRuns: 120, seed: 7 },
  );
});

testEachBackend('max over any axes gives the reference maximum, and its gradient reaches the first maximal element (the first NaN when there is one)', () => {
  fc.assert(
    fc.property(cases, fc.boolean(), ({ shape, pick, keepdim, dtype, big }, withNaN) => {
      const sh = big ? [...shape.slice(0, -1), shape.at(-1)! * 40] : shape;
      const axes = sh.map((_, i) => i).filter((i) => pick[i]);
      if (axes.length === 0) axes.push(0);
      const n = sh.reduce((p, q) => p * q, 1);
      // values on a coarse grid (ties everywhere), a NaN now and then
      let seed = n * 7 + axes.length;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
      const data = Array.from({ length: n }, () => (withNaN && rnd() < 0.02 ? NaN : Math.round(rnd() * 8) - 4));
      const x = nk.tensor(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), sh, { requiresGrad: true });
      const y = nk.max(x, axes, keepdim);
      const count = axes.reduce((p, a) => p * sh[a]!, 1);
      const best = new Float64Array(n / count).fill(NaN), at = new Int32Array(n / count).fill(-1);
      for (let i = 0; i < n; i++) {
        const o = outIndex(coords(i, sh), sh, axes), v = data[i]!;
        if (at[o] === -1 || v > best[o]! || (v !== v && best[o] === best[o])) { best[o] = v; at[o] = i; }
      }
      assert.deepEqual(Array.from(y.data), Array.from(best), `max over [${axes}] of [${sh}]`);
      y.backward(nk.onesLike(y));
      const want = new Float64Array(n);
      for (const i of at) want[i] += 1;
      assert.deepEqual(Array.from(x.grad!.data), Array.from(want), `argmax over [${axes}] of [${sh}]`);
    }),
    { numRuns: 150, seed: 11 },
  );
});

testEachBackend('sum and max over axes apart give their scratch copy back at once (wasm memory flat in a tidy loop)', () => {
  const x = nk.randn([32, 64, 256]);
  const step = () => nk.tidy(() => { nk.sum(x, [0, 2]); nk.max(x, [0, 2]); nk.mean(x, [0, 2]); });
  step();
  const before = nk.memory().wasmBytesInUse;
  for (let i = 0; i < 10; i++) step();
  assert.equal(nk.memory().wasmBytesInUse, before);
});
