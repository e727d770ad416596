import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

/** float64 two-pass reference: mean and population variance of every column of [n, d]. */
function colStats(rows: number[][]): { mean: number[]; variance: number[] } {
  const d = rows[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
  const variance = mean.map((m, j) => rows.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / rows.length);
  return { mean, variance };
}

test('Normalization.adapt computes mean and population variance along axis=-1', () => {
  const rows = [[1, 10, -3], [2, 20, -3], [4, 40, -3], [7, 70, -3]];
  const layer = new nk.Normalization();
  layer.adapt(nk.tensor(rows, null, { dtype: 'float64' }));
  const ref = colStats(rows);
  assertClose(layer.mean!.data, ref.mean, { atol: 0, rtol: 1e-15 });
  assertClose(layer.variance!.data, ref.variance, { atol: 0, rtol: 1e-15 });
  assert.deepEqual(layer.count!.toList(), [4, 4, 4]);
  const y = layer.forward(nk.tensor(rows, null, { dtype: 'float64' }));
  // a zero-variance feature maps to 0, never NaN/Inf
  const yl = y.toArray() as number[][];
  for (const r of yl) assert.equal(r[2], 0);
  // the other columns have mean 0 and population std 1
  const st = colStats(yl);
  assertClose(st.mean.slice(0, 2), [0, 0], { atol: 1e-15 });
  assertClose(st.variance.slice(0, 2), [1, 1], { rtol: 1e-12 });
});

test('Normalization: streamed batches (array, iterable, async iterable) merge exactly like one batch', async () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (sizes, d, seed) => {
      const rng = new nk.Rng(seed >>> 0);
      const batches = sizes.map((n) => {
        const t = nk.randn([n, d], { dtype: 'float64', rng });
        for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * 3 + 1000;
        return t;
      });
      const all = nk.concat(batches, 0);
      const whole = new nk.Normalization().adapt(all);
      const streamed = new nk.Normalization().adapt(batches);
      assertClose(streamed.mean!.data, whole.mean!.data, { atol: 0, rtol: 1e-13 });
      assertClose(streamed.variance!.data, whole.variance!.data, { atol: 1e-13, rtol: 1e-9 });
      const ref = colStats(all.toArray() as number[][]);
      assertClose(whole.variance!.data, ref.variance, { atol: 1e-13, rtol: 1e-9 });
    }),
    { numRuns: 40 },
  );
  const b = [nk.tensor([[1], [2]]), nk.tensor([[3], [4], [5]])];
  function* gen() {
    yield* b;
  }
  async function* agen() {
    yield* b;
  }
  const s = new nk.Normalization().adapt(gen());
  const a = await new nk.Normalization().adapt(agen());
  // 1-D data is a batch of scalars (Keras)
  const flat = new nk.Normalization().adapt(nk.tensor([1, 2, 3, 4, 5]));
  assert.deepEqual(flat.mean!.toList(), [3]);
  assert.deepEqual(flat.forward(nk.tensor([3, 5], null, { dtype: 'float64' })).toList(), [0, 2 / Math.sqrt(2)]);
  assert.deepEqual(s.mean!.toList(), [3]);
  assert.deepEqual(a.mean!.toList(), [3]);
  assert.deepEqual(a.variance!.toList(), [2]);
});

test('Normalization keeps statistics per listed axes (int list, negative, null)', () => {
  const x = nk.randn([5, 3, 4], { dtype: 'float64', rng: new nk.Rng(3) });
  const l = new nk.Normalization({ axis: [1, -1] }).adapt(x);
  assert.deepEqual(l.mean!.shape, [3, 4]);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 4; k++) {
      const vals = Array.from({ length: 5 }, (_, n) => x.data[n * 12 + c * 4 + k]!);
      const m = vals.reduce((s, v) => s + v, 0) / 5;
      const v = vals.reduce((s, u) => s + (u - m) ** 2, 0) / 5;
      assertClose([l.mean!.data[c * 4 + k]!, l.variance!.data[c * 4 + k]!], [m, v], { rtol: 1e-12, atol: 1e-15 });
    }
  }
  const one = new nk.Normalization({ axis: 1 }).adapt(x);
  assert.deepEqual(one.mean!.shape, [3]);
  const all = new nk.Normalization({ axis: null }).adapt(x);
  assert.equal(all.mean!.size, 1);
  assert.ok(Math.abs(all.mean!.item() - Array.from(x.data).reduce((s, v) => s + v, 0) / x.size) < 1e-14);
  assert.throws(() => l.forward(nk.randn([2, 3, 5])), /kept dims \[3, 5\].*expected \[3, 4\]/);
  assert.throws(() => new nk.Normalization({ axis: 3 }).adapt(x), /out of range/);
});

test('Normalization with given mean/variance, invert, eps floor and float32 precision at a large offset', () => {
  assert.throws(() => new nk.Normalization({ mean: [1, 2] }), /variance is missing/);
  assert.throws(() => new nk.Normalization({ variance: [1, 2] }), /mean is missing/);
  const n = new nk.Normalization({ mean: [1, 2], variance: [4, 0] });
  const y = n.forward(nk.tensor([[3, 2], [-1, 5]], null, { dtype: 'float64' }));
  assert.deepEqual(y.toArray(), [[1, 0], [-1, 3 / 1e-7]]);
  const inv = new nk.Normalization({ mean: [1, 2], variance: [4, 9], invert: true });
  assert.deepEqual(inv.forward(nk.tensor([[1, 1]], null, { dtype: 'float64' })).toArray(), [[3, 5]]);
  // scalar statistics broadcast to every feature
  const sc = new nk.Normalization({ mean: 10, variance: 4 });
  assert.deepEqual(sc.forward(nk.tensor([[12, 8, 10]])).toArray(), [[1, -1, 0]]);
  assert.throws(() => new nk.Normalization({ mean: [1, 2, 3], variance: [1, 1, 1] }).forward(nk.ones([2, 2])), /mean has 3 values/);
  assert.throws(() => new nk.Normalization().forward(nk.ones([2, 2])), /adapt/);
  // float32 input at offset 1e4: the float64 mean is subtracted before rounding
  const x = nk.tensor([[10000.25], [10000.5], [10000.75]]);
  const l = new nk.Normalization().adapt(x);
  const z = l.forward(x);
  const sd = Math.sqrt(1 / 24);
  assertClose(z.data, [-0.25 / sd, 0, 0.25 / sd], { rtol: 1e-6, atol: 1e-7 });
  assert.equal(z.dtype, 'float32');
});

test('Normalization gradient (statistics are constants) matches finite differences', () => {
  const l = new nk.Normalization({ mean: [1, -2, 0.5], variance: [4, 0.25, 9] });
  const x = nk.randn([4, 3], { dtype: 'float64', rng: new nk.Rng(5) }).requiresGrad_();
  const r = nk.gradcheck((t) => l.forward(t), [x]);
  assert.ok(r.ok, `max error ${r.maxAbsError}`);
  // the grad path gives the same values as the exact path
  const exact = nk.noGrad(() => l.forward(x));
  assertClose(l.forward(x).data, exact.data, { rtol: 1e-14, atol: 1e-15 });
});

test('Normalization getConfig/fromConfig round-trips options and statistics', () => {
  const x = nk.randn([6, 2, 3], { dtype: 'float64', rng: new nk.Rng(8) });
  const l = new nk.Normalization({ axis: [-2, -1], invert: false, eps: 1e-6 }).adapt(x);
  const cfg = JSON.parse(JSON.stringify(l.getConfig()));
  assert.deepEqual(cfg.axis, [-2, -1]);
  const back = nk.Normalization.fromConfig(cfg);
  assert.deepEqual(back.forward(x).toList(), l.forward(x).toList());
  assert.equal(String(l), 'Normalization(axis=[-2, -1], eps=1e-6)');
  assert.deepEqual(new nk.Normalization().getConfig(), { axis: [-1], invert: false, eps: 1e-7 });
});
