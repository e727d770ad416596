import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';

// Data with an outlier (100) and a constant column (10).
const X = [[1, -2, 10], [3, 0.5, 10], [-4, 7, 10], [8, 1.5, 10], [2.5, -3, 10], [100, 0, 10]];

test('StandardScaler: biased std, zero std -> scale 1, transform/inverse round trip', () => {
  const s = new nk.StandardScaler().fit(X);
  const n = X.length;
  const mean = [0, 1, 2].map((j) => X.reduce((a, r) => a + r[j]!, 0) / n);
  const vr = [0, 1, 2].map((j) => X.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / n);
  assertClose(s.mean!, mean, { rtol: 1e-15 });
  assertClose(s.var!, vr, { rtol: 1e-14 });
  assertClose(s.scale!, [Math.sqrt(vr[0]!), Math.sqrt(vr[1]!), 1], { rtol: 1e-14 });
  const z = s.transform(X);
  assert.deepEqual((z.toArray() as number[][]).map((r) => r[2]), [0, 0, 0, 0, 0, 0]);
  assertClose(s.inverseTransform(z).data, X.flat(), { rtol: 1e-14, atol: 1e-14 });
  const noMean = new nk.StandardScaler({ withMean: false }).fit(X).transform([[6, 4, 10]]);
  assertClose(noMean.data, [6 / Math.sqrt(vr[0]!), 4 / Math.sqrt(vr[1]!), 10], { rtol: 1e-14 });
  const noStd = new nk.StandardScaler({ withStd: false }).fitTransform(X);
  assertClose(noStd.data.slice(0, 3), [1 - mean[0]!, -2 - mean[1]!, 0], { rtol: 1e-14, atol: 1e-14 });
  assert.throws(() => s.transform([[1, 2]]), /X has 2 features, but StandardScaler is expecting 3/);
  assert.throws(() => new nk.StandardScaler().transform(X), /not fitted/);
  assert.throws(() => new nk.StandardScaler().fit(nk.ones([3])), /expected 2-D data/);
});

test('StandardScaler.partialFit merges batches exactly (Chan et al.) at any split', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }), fc.integer(), (sizes, seed) => {
      const rng = new nk.Rng(seed >>> 0);
      const parts = sizes.map((k) => {
        const t = nk.randn([k, 3], { dtype: 'float64', rng });
        for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! + 1e6;
        return t;
      });
      const inc = new nk.StandardScaler();
      for (const p of parts) inc.partialFit(p);
      const full = new nk.StandardScaler().fit(nk.concat(parts, 0));
      assertClose(inc.mean!, full.mean!, { rtol: 1e-15, atol: 0 });
      assertClose(inc.var!, full.var!, { rtol: 1e-8, atol: 1e-12 });
      assert.deepEqual(Array.from(inc.nSamplesSeen!), [0, 1, 2].map(() => sizes.reduce((a, b) => a + b, 0)));
    }),
    { numRuns: 40 },
  );
});

test('StandardScaler ignores NaN in fit and keeps it in transform', () => {
  const s = new nk.StandardScaler().fit([[1, NaN], [3, 4], [NaN, 8]]);
  assert.deepEqual(Array.from(s.mean!), [2, 6]);
  assert.deepEqual(Array.from(s.var!), [1, 4]);
  assert.deepEqual(Array.from(s.nSamplesSeen!), [2, 2]);
  const z = s.transform([[NaN, 8]]).toList();
  assert.ok(Number.isNaN(z[0]!));
  assert.equal(z[1], 1);
});

test('MinMaxScaler: featureRange, clip, running min/max, inverse and range validation', () => {
  const m = new nk.MinMaxScaler({ featureRange: [-1, 1] }).fit(X);
  const z = m.transform(X).toArray() as number[][];
  assertClose(z.map((r) => r[0]!), [1, 3, -4, 8, 2.5, 100].map((v) => -1 + (2 * (v + 4)) / 104), { rtol: 1e-14, atol: 1e-15 });
  assert.deepEqual(z.map((r) => r[2]), [-1, -1, -1, -1, -1, -1]); // constant feature -> range min
  assertClose(m.inverseTransform(m.transform(X)).data, X.flat(), { rtol: 1e-14, atol: 1e-13 });
  const p = new nk.MinMaxScaler();
  p.partialFit(X.slice(0, 2)).partialFit(X.slice(2));
  assert.deepEqual(Array.from(p.dataMin!), [-4, -3, 10]);
  assert.deepEqual(Array.from(p.dataMax!), [100, 7, 10]);
  assert.equal(p.nSamplesSeen, 6);
  const c = new nk.MinMaxScaler({ clip: true }).fit([[0], [10]]);
  assert.deepEqual(c.transform([[-5], [5], [20]]).toList(), [0, 0.5, 1]);
  assert.deepEqual(new nk.MinMaxScaler().fit([[0], [10]]).transform([[20]]).toList(), [2]);
  assert.throws(() => new nk.MinMaxScaler({ featureRange: [1, 0] }), /featureRange \[1, 0\]/);
  assert.throws(() => new nk.MinMaxScaler({ featureRange: [2, 2] }), /smaller than maximum/);
});

test('RobustScaler: median and IQR as numpy linear percentiles, unitVariance', () => {
  const r = new nk.RobustScaler().fit(X);
  // numpy 2.4: np.median(X, 0), np.percentile(X, 75, 0) - np.percentile(X, 25, 0)
  assert.deepEqual(Array.from(r.center!), [2.75, 0.25, 10]);
  assert.deepEqual(Array.from(r.scale!), [5.375, 2.75, 1]);
  const wide = new nk.RobustScaler({ quantileRange: [10, 90] }).fit(X);
  assertClose(wide.scale!, [55.5, 6.75, 1], { rtol: 1e-14 }); // numpy: percentile 90 - percentile 10
  const uv = new nk.RobustScaler({ unitVariance: true }).fit(X);
  // Python statistics.NormalDist().inv_cdf(0.75) - inv_cdf(0.25) = 1.3489795003921634
  assertClose(uv.scale!, [5.375 / 1.3489795003921634, 2.75 / 1.3489795003921634, 1 / 1.3489795003921634], { rtol: 1e-14 });
  assertClose(r.inverseTransform(r.transform(X)).data, X.flat(), { rtol: 1e-14, atol: 1e-13 });
  const t = new nk.RobustScaler({ withCentering: false }).fit(X).transform([[5.375, 2.75, 3]]);
  assert.deepEqual(t.toList(), [1, 1, 3]);
  assert.throws(() => new nk.RobustScaler({ quantileRange: [80, 20] }), /invalid quantileRange \[80, 20\]/);
  // NaN ignored in the quantiles
  assert.deepEqual(Array.from(new nk.RobustScaler().fit([[1], [NaN], [3]]).center!), [2]);
});

test('normalPpf matches Python statistics.NormalDist.inv_cdf', () => {
  assertClose([nk.normalPpf(0.975), nk.normalPpf(1e-10), nk.normalPpf(0.5)], [1.9599639845400536, -6.361340902404056, 0], { rtol: 1e-14, atol: 0 });
});

test('MaxAbsScaler and Normalizer', () => {
  const m = new nk.MaxAbsScaler();
  m.partialFit([[1, -8, 0]]).partialFit([[-4, 2, 0]]);
  assert.deepEqual(Array.from(m.scale!), [4, 8, 1]);
  assert.deepEqual(m.transform([[2, -4, 5]]).toList(), [0.5, -0.5, 5]);
  assert.deepEqual(m.inverseTransform([[0.5, -0.5, 5]]).toList(), [2, -4, 5]);
  const rows = [[3, -4], [0, 0], [1e200, 1e200]];
  const l2 = new nk.Normalizer().fitTransform(rows).toArray() as number[][];
  assertClose(l2.flat(), [0.6, -0.8, 0, 0, Math.SQRT1_2, Math.SQRT1_2], { rtol: 1e-15 });
  assert.deepEqual(new nk.Normalizer({ norm: 'l1' }).transform([[3, -1]]).toList(), [0.75, -0.25]);
  assert.deepEqual(new nk.Normalizer({ norm: 'max' }).transform([[3, -6]]).toList(), [0.5, -1]);
  assert.throws(() => new nk.Normalizer({ norm: 'l3' as 'l1' }), /got 'l3'/);
  // float32 in, float32 out
  assert.equal(new nk.Normalizer().transform(nk.tensor([[1, 2]])).dtype, 'float32');
});
