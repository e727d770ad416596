/**
 * LayerNorm and RMSNorm: SEMANTICS rows, errors, gradients, modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose, f64, checkGrad } from '../helpers.js';
import { layernormRef } from '../../src/kernels/reference/layernorm.js';
import { rmsnormRef } from '../../src/kernels/reference/rmsnorm.js';



test('layerNorm computes (x - mean) / sqrt(biased var + eps) * w + b over the trailing dims', () => {
  // hand-derived: [1, 2, 3] has mean 2, biased variance 2/3
  const y = nk.layerNorm(nk.tensor([[1, 2, 3]], null, { dtype: 'float64' }), [3]);
  const r = 1 / Math.sqrt(2 / 3 + 1e-5);
  assertClose(y.data, [-r, 0, r], { rtol: 1e-12 });
  // normalizedShape [3, 5] on [2, 3, 5]: one mean/variance per sample over 15 elements
  const x = f64([2, 3, 5], 1, 4, 2);
  const w = f64([3, 5], 2);
  const b = f64([3, 5], 3);
  const out = nk.layerNorm(x, [3, 5], w, b, 1e-3);
  assertClose(out.data, layernormRef(x.data, 2, 15, w.data, b.data, 1e-3).out, { rtol: 1e-12, atol: 1e-12 });
  // an int normalizedShape is [int]
  assertClose(nk.layerNorm(x, 5).data, nk.layerNorm(x, [5]).data, { rtol: 0, atol: 0 });
  // same result for each sample whatever the batch holds (no batch dependence)
  const one = nk.layerNorm(nk.slice(x, 0, 0, 1), [3, 5]);
  assertClose(one.data, nk.layerNorm(x, [3, 5]).data.subarray(0, 15), { rtol: 0, atol: 0 });
});

test('layerNorm rejects inputs whose trailing dims differ, and mis-shaped weights', () => {
  const ln = new nk.LayerNorm([3, 5]);
  assert.throws(() => ln.forward(nk.zeros([2, 4, 5])), { message: /expected input with shape \[\*, 3, 5\], got \[2, 4, 5\]/ });
  assert.throws(() => nk.layerNorm(nk.zeros([5]), [3, 5]), /expected input with shape \[\*, 3, 5\], got \[5\]/);
  assert.throws(() => nk.layerNorm(nk.zeros([2, 5]), [5], nk.ones([4])), /expected weight of shape \[5\].*got \[4\]/);
  assert.throws(() => new nk.LayerNorm([3, 0]), /normalizedShape must be a positive integer.*\[3, 0\]/);
  assert.throws(() => new nk.LayerNorm(4, { eps: -1 }), /eps must be >= 0, got -1/);
});

test("layerNorm's gradients (input through mean and variance, weight, bias) match finite differences", () => {
  for (const [shape, ns] of [[[4, 6], [6]], [[2, 3, 4], [4]], [[2, 3, 4], [3, 4]], [[2, 2, 3, 2], [2, 3, 2]], [[5, 1], [1]]] as const) {
    const x = f64([...shape], 10, 3);
    const w = f64([...ns], 11, 1);
    const b = f64([...ns], 12);
    checkGrad(`layerNorm ${ns}`, (x, w, b) => nk.layerNorm(x, [...ns], w, b), [x, w, b]);
    checkGrad(`layerNorm ${ns} no affine`, (x) => nk.layerNorm(x, [...ns]), [x]);
  }
  // a large common offset: the gradient through the mean still matches
  checkGrad('layerNorm offset 1e3', (x) => nk.layerNorm(x, [7]), [f64([3, 7], 13, 1e3)]);
});

test('rmsNorm computes x / sqrt(mean(x^2) + eps) * w; eps=null is the dtype machine epsilon', () => {
  // hand-derived: [3, 4] has mean square 12.5
  const y = nk.rmsNorm(nk.tensor([[3, 4]], null, { dtype: 'float64' }), [2], null, 0);
  assertClose(y.data, [3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)], { rtol: 1e-14 });
  const x = f64([3, 2, 4], 20, 1);
  const w = f64([2, 4], 21);
  assertClose(nk.rmsNorm(x, [2, 4], w).data, rmsnormRef(x.data, 3, 8, w.data, 2 ** -52).out, { rtol: 1e-13, atol: 1e-14 });
  // eps=null: float32 uses 2^-23, visible on a zero-mean-square row scaled tiny
  const tiny = nk.tensor([[1e-4, -1e-4]]);
  const expect = 1e-4 / Math.sqrt(1e-8 + 2 ** -23);
  assertClose(nk.rmsNorm(tiny, 2).data, [expect, -expect], { rtol: 1e-6 });
  assertClose(new nk.RMSNorm(2).forward(tiny).data, [expect, -expect], { rtol: 1e-6 });
  assert.throws(() => new nk.RMSNorm([3, 5]).forward(nk.zeros([2, 4, 5])), /expected input with shape \[\*, 3, 5\], got \[2, 4, 5\]/);
});

test("rmsNorm's gradients (input, weight) match finite differences", () => {
  for (const [shape, ns] of [[[4, 6], [6]], [[2, 3, 4], [3, 4]], [[2, 2, 3, 2], [2, 3, 2]]] as const) {
    checkGrad(`rmsNorm ${ns}`, (x, w) => nk.rmsNorm(x, [...ns], w, 1e-6), [f64([...shape], 22, 0.5), f64([...ns], 23, 1)]);
  }
});

test('float32 LayerNorm on randn + 2000 and on 1e30-scale input matches float64', () => {
  const x32 = nk.randn([8, 64], { rng: new nk.Rng(30) });
  for (let i = 0; i < x32.size; i++) x32.data[i] += 2000;
  const y = nk.layerNorm(x32, 64);
  const truth = layernormRef(Float64Array.from(x32.data), 8, 64, null, null, 1e-5).out;
  assertClose(y.data, truth, { rtol: 1e-5, atol: 1e-5 });
  const big = nk.mul(nk.randn([2, 16], { rng: new nk.Rng(31) }), 1e30);
  const yb = new nk.LayerNorm(16).forward(big);
  assert.ok(yb.data.every(Number.isFinite));
  assertClose(yb.data, layernormRef(Float64Array.from(big.data), 2, 16, null, null, 0).out, { rtol: 1e-5, atol: 1e-5 });
  const c = new nk.LayerNorm(16).forward(nk.full([3, 16], 7.25));
  assert.ok(c.data.every((v) => v === 0), 'constant input gives zeros');
});

test('LayerNorm module: parameters, bias=false, elementwiseAffine=false, toString, getConfig', () => {
  const ln = new nk.LayerNorm([16]);
  assert.equal(String(ln), 'LayerNorm([16], eps=1e-5, elementwiseAffine=true)');
  assert.deepEqual(Object.keys(ln.stateDict()), ['weight', 'bias']);
  assert.deepEqual(ln.weight!.toList(), new Array(16).fill(1));
  assert.deepEqual(ln.bias!.toList(), new Array(16).fill(0));
  assert.deepEqual(ln.getConfig(), { normalizedShape: [16], eps: 1e-5, elementwiseAffine: true, bias: true, dtype: 'float32' });
  assert.equal(ln.runningMean, null);
  const nb = new nk.LayerNorm(4, { bias: false });
  assert.equal(nb.bias, null);
  assert.deepEqual(Object.keys(nb.stateDict()), ['weight']);
  assert.equal(String(nb), 'LayerNorm([4], eps=1e-5, elementwiseAffine=true, bias=false)');
  const x = nk.randn([3, 4], { rng: new nk.Rng(40) });
  nb.weight!.data.set([1, 2, 3, 4]);
  const y = nb.forward(x);
  assertClose(y.data, nk.layerNorm(x, [4], nb.weight).data, { rtol: 0, atol: 0 });
  nk.sum(y).backward(); // bias=false trains fine
  assert.ok(nb.weight!.grad);
  const na = new nk.LayerNorm([2, 3], { elementwiseAffine: false, eps: 1e-3 });
  assert.equal(na.weight, null);
  assert.equal(na.bias, null);
  assert.deepEqual(Object.keys(na.stateDict()), []);
  assert.equal(String(na), 'LayerNorm([2, 3], eps=0.001, elementwiseAffine=false)');
  const cfg = ln.getConfig();
  assert.equal(String(new nk.LayerNorm(cfg.normalizedShape, cfg)), String(ln));
});

test('LayerNorm and RMSNorm stateDict round trip gives identical outputs; resetParameters restores defaults', () => {
  const x = nk.randn([5, 2, 6], { rng: new nk.Rng(50) });
  for (const make of [() => new nk.LayerNorm([2, 6]), () => new nk.RMSNorm([2, 6])]) {
    const a = make();
    const rng = new nk.Rng(51);
    for (const p of a.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal();
    const b = make();
    b.loadStateDict(a.stateDict());
    assert.deepEqual(b.forward(x).toList(), a.forward(x).toList());
    assert.notDeepEqual(make().forward(x).toList(), a.forward(x).toList());
    a.resetParameters();
    assert.deepEqual(a.forward(x).toList(), make().forward(x).toList());
  }
});

test('RMSNorm module: weight only, toString, getConfig, elementwiseAffine=false', () => {
  const m = new nk.RMSNorm([16]);
  assert.equal(String(m), 'RMSNorm([16], eps=null, elementwiseAffine=true)');
  assert.deepEqual(Object.keys(m.stateDict()), ['weight']);
  assert.equal(m.bias, null);
  assert.deepEqual(m.getConfig(), { normalizedShape: [16], eps: null, elementwiseAffine: true, dtype: 'float32' });
  const n = new nk.RMSNorm(4, { eps: 1e-6, elementwiseAffine: false });
  assert.equal(String(n), 'RMSNorm([4], eps=1e-6, elementwiseAffine=false)');
  assert.equal(n.weight, null);
  assert.deepEqual(Object.keys(n.stateDict()), []);
  // module gradient reaches the weight
  const w = new nk.RMSNorm(3, { dtype: 'float64' });
  checkGrad('RMSNorm module weight', () => w.forward(nk.tensor([[1, -2, 0.5], [0.3, 0.1, 2]], null, { dtype: 'float64' })), [w.weight!]);
});
