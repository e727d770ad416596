/**
 * DyT, LocalResponseNorm and Lp normalize: SEMANTICS rows, errors, gradients, modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose, f64, checkGrad } from '../helpers.js';
import { lrnRef } from '../../src/kernels/reference/lrn.js';
import { normalizeRef } from '../../src/kernels/reference/normalize.js';



test('dyt computes weight * tanh(alpha x) + bias', () => {
  const x = nk.tensor([[0.5, -1, 2]], null, { dtype: 'float64' });
  const y = nk.dyt(x, 0.5, nk.tensor([1, 2, 3], null, { dtype: 'float64' }), nk.tensor([0, 1, -1], null, { dtype: 'float64' }));
  assertClose(y.data, [Math.tanh(0.25), 2 * Math.tanh(-0.5) + 1, 3 * Math.tanh(1) - 1], { rtol: 1e-15 });
  const m = new nk.DyT(3, { alphaInit: 0.5 });
  assertClose(m.forward(nk.tensor([[0.5, -1, 2]])).data, [0.5, -1, 2].map((v) => Math.tanh(0.5 * v)), { rtol: 1e-6 });
  assert.throws(() => new nk.DyT([3, 5]).forward(nk.zeros([2, 4, 5])), /expected input with shape \[\*, 3, 5\], got \[2, 4, 5\]/);
  assert.throws(() => nk.dyt(x, nk.ones([2])), /alpha must hold one value.*\[2\]/);
});

test("dyt's gradients (input, alpha, weight, bias) match finite differences", () => {
  for (const [shape, ns] of [[[4, 6], [6]], [[2, 3, 4], [3, 4]], [[2, 2, 3, 2], [2, 3, 2]]] as const) {
    const alpha = nk.tensor([0.7], null, { dtype: 'float64', requiresGrad: true });
    checkGrad(`dyt ${ns}`, (x, a, w, b) => nk.dyt(x, a, w, b), [f64([...shape], 1), alpha, f64([...ns], 2, 1), f64([...ns], 3)]);
  }
  const m = new nk.DyT([2, 3], { dtype: 'float64', alphaInit: 0.8 });
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += 0.1 * i;
  checkGrad('DyT module alpha/weight/bias', () => m.forward(f64([4, 2, 3], 4, 0).requiresGrad_(false)), [m.alpha, m.weight!, m.bias!]);
});

test('DyT module: parameters alpha [1], weight, bias; toString, getConfig, round trip', () => {
  const m = new nk.DyT([16]);
  assert.equal(String(m), 'DyT([16], alphaInit=0.5)');
  assert.deepEqual(Object.keys(m.stateDict()), ['alpha', 'weight', 'bias']);
  assert.deepEqual(m.alpha.shape, [1]);
  assert.equal(m.alpha.item(), 0.5);
  assert.deepEqual(m.getConfig(), { normalizedShape: [16], alphaInit: 0.5, dtype: 'float32' });
  const a = new nk.DyT(4, { alphaInit: 2 });
  a.weight!.data.set([1, 2, 3, 4]);
  a.bias!.data.set([0, 0.1, 0.2, 0.3]);
  a.alpha.data[0] = 1.5;
  const b = new nk.DyT(4);
  b.loadStateDict(a.stateDict());
  const x = nk.randn([3, 4], { rng: new nk.Rng(5) });
  assert.deepEqual(b.forward(x).toList(), a.forward(x).toList());
  a.resetParameters();
  assert.equal(a.alpha.item(), 2);
});

test('localResponseNorm follows PyTorch: window [c - size/2, c + (size-1)/2], zero padded, divided by size', () => {
  // hand-derived from torch's local_response_norm (pad size//2 before, (size-1)//2 after, avg_pool):
  // ones [1, 3, 1], size 2, alpha 1, beta 1, k 1: channel 0 sees only itself -> 1 / (1 + 1/2) ; others 1 / (1 + 2/2)
  const y = nk.localResponseNorm(nk.ones([1, 3, 1], { dtype: 'float64' }), 2, 1, 1, 1);
  assertClose(y.data, [1 / 1.5, 0.5, 0.5], { rtol: 1e-15 });
  // size 3: symmetric window
  const z = nk.localResponseNorm(nk.ones([1, 3, 1], { dtype: 'float64' }), 3, 1, 1, 1);
  assertClose(z.data, [1 / (1 + 2 / 3), 1 / 2, 1 / (1 + 2 / 3)], { rtol: 1e-15 });
  const x = f64([2, 5, 3, 2], 10);
  const m = new nk.LocalResponseNorm(3, { alpha: 0.5, beta: 0.6, k: 2 });
  assertClose(m.forward(x).data, lrnRef(x.data, 2, 5, 6, 3, 0.5, 0.6, 2), { rtol: 1e-13 });
  assert.throws(() => m.forward(nk.zeros([4, 5])), /expected 3D or higher dimensionality input \(got 2 dimensions\)/);
  assert.throws(() => new nk.LocalResponseNorm(0), /size must be a positive integer, got 0/);
  assert.equal(String(new nk.LocalResponseNorm(2)), 'LocalResponseNorm(2, alpha=1e-4, beta=0.75, k=1)');
  assert.deepEqual(new nk.LocalResponseNorm(2).getConfig(), { size: 2, alpha: 1e-4, beta: 0.75, k: 1 });
  assert.deepEqual(Object.keys(m.stateDict()), []);
});

test("localResponseNorm's gradient matches finite differences", () => {
  for (const size of [1, 2, 3, 4, 7]) {
    checkGrad(`lrn size ${size}`, (x) => nk.localResponseNorm(x, size, 0.9, 0.75, 1.5), [f64([2, 5, 3], 20 + size)]);
  }
  checkGrad('lrn 4-D', (x) => nk.localResponseNorm(x, 3), [f64([1, 4, 2, 2], 30)]);
});

test('normalize computes v / max(||v||_p, eps) along dim (default p=2, dim=1)', () => {
  // (3, 5) and (6, 10) both become (3, 5) / sqrt(34): the point's scale is lost
  const y = nk.normalize(nk.tensor([[3, 5], [6, 10]], null, { dtype: 'float64' }));
  const s = Math.sqrt(34);
  assertClose(y.data, [3 / s, 5 / s, 3 / s, 5 / s], { rtol: 1e-15 });
  // zero vectors stay zero (eps clamps the divisor)
  assert.deepEqual(nk.normalize(nk.zeros([2, 3])).toList(), [0, 0, 0, 0, 0, 0]);
  const x = f64([2, 4, 3], 40);
  for (const [p, dim] of [[2, 1], [1, 0], [3, -1], [Infinity, 2], [0.5, 1]] as const) {
    const a = dim < 0 ? dim + 3 : dim;
    const sh = x.shape;
    const ref = normalizeRef(x.data, sh.slice(0, a).reduce((u, v) => u * v, 1), sh[a]!, sh.slice(a + 1).reduce((u, v) => u * v, 1), p, 1e-12);
    assertClose(nk.normalize(x, { p, dim }).data, ref, { rtol: 1e-12, atol: 1e-15 });
  }
  assert.throws(() => nk.normalize(x, { dim: 3 }), /dim 3 is out of range/);
  assert.throws(() => nk.normalize(x, { p: 0 }), /p must be positive.*got 0/);
  // huge values do not overflow
  const big = nk.tensor([[3e30, 4e30]]);
  assertClose(nk.normalize(big).data, [0.6, 0.8], { rtol: 1e-6 });
});

test("normalize's gradient matches finite differences for p = 1, 2, 3, inf and through the eps clamp", () => {
  for (const [p, dim] of [[2, 1], [1, 0], [3, -1], [Infinity, 1], [1.5, 2]] as const) {
    checkGrad(`normalize p=${p} dim=${dim}`, (x) => nk.normalize(x, { p, dim }), [f64([2, 4, 3], 50)]);
  }
  // norm below eps: y = x / eps, gradient 1/eps
  checkGrad('normalize clamp', (x) => nk.normalize(x, { eps: 10 }), [f64([3, 2], 51)]);
});
