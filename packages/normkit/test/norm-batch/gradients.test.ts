import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { f64, checkGrad } from '../helpers.js';

/** This file holds gradients to a tighter relative tolerance than gradcheck's default. */
const check = (name: string, fn: (...xs: nk.Tensor[]) => nk.Tensor, inputs: nk.Tensor[]) => checkGrad(name, fn, inputs, { atol: 1e-6, rtol: 1e-5 });

test('batchNorm (training) gradients of input, weight and bias match finite differences, through the batch mean and variance', () => {
  for (const shape of [[5, 3], [4, 3, 6], [2, 3, 4, 5], [2, 1, 3], [3, 2, 1, 2, 2]]) {
    const C = shape[1]!;
    check(`batchNorm train ${shape}`, (x, w, b) => nk.batchNorm(x, null, null, w, b, true), [f64(shape, 1), f64([C], 2, 1), f64([C], 3)]);
  }
  // without affine, and with running stats being updated meanwhile (they do not change the output)
  const rm = nk.zeros([3], { dtype: 'float64' });
  const rv = nk.ones([3], { dtype: 'float64' });
  check('batchNorm train no affine', (x) => nk.batchNorm(x, rm, rv, null, null, true), [f64([4, 3, 2], 4, 5)]);
});

test('batchNorm (eval) gradients of input, weight, bias, runningMean and runningVar match finite differences', () => {
  for (const shape of [[4, 3], [2, 3, 5], [2, 3, 2, 2]]) {
    const C = shape[1]!;
    const rv = f64([C], 7, 0, 0.1);
    for (let i = 0; i < C; i++) rv.data[i] = 1 + Math.abs(rv.data[i]!);
    check(`batchNorm eval ${shape}`, (x, w, b, m, v) => nk.batchNorm(x, m, v, w, b, false), [f64(shape, 5), f64([C], 6, 1), f64([C], 8), f64([C], 9), rv]);
  }
});

test('batchNorm gradients with channels on another axis (channels last) match finite differences', () => {
  check('batchNorm axis -1', (x, w, b) => nk.batchNorm(x, null, null, w, b, true, 0.1, 1e-5, { axis: -1 }), [f64([2, 3, 4], 10), f64([4], 11, 1), f64([4], 12)]);
  check('batchNorm axis 0', (x, w) => nk.batchNorm(x, null, null, w, null, true, 0.1, 1e-5, { axis: 0 }), [f64([3, 5], 13), f64([3], 14, 1)]);
});

test('batchNorm gradients compose with broadcasting ops (per-channel stats of lower rank)', () => {
  // y = BN(x) * s + t with s, t broadcast against [N, C, L]; the weight of lower rank [C] must get a [C] gradient
  check('batchNorm composed', (x, w, s) => nk.mul(nk.batchNorm(x, null, null, w, null, true), s), [f64([3, 2, 4], 15), f64([2], 16, 1), f64([2, 1], 17)]);
});

test('groupNorm gradients of input, weight and bias match finite differences (N = 1 included)', () => {
  for (const [G, shape] of [[2, [1, 4, 3]], [3, [2, 6]], [2, [2, 4, 2, 3]], [1, [1, 3, 5]], [4, [2, 4, 3]], [1, [3, 2]]] as [number, number[]][]) {
    const C = shape[1]!;
    check(`groupNorm G=${G} ${shape}`, (x, w, b) => nk.groupNorm(x, G, w, b), [f64(shape, G + C, 2), f64([C], 21, 1), f64([C], 22)]);
  }
  check('groupNorm no affine', (x) => nk.groupNorm(x, 2, null, null), [f64([2, 4, 3], 23)]);
});

test('instanceNorm gradients of input, weight and bias match finite differences', () => {
  check('instanceNorm 1d', (x, w, b) => nk.instanceNorm(x, null, null, w, b), [f64([2, 3, 5], 31), f64([3], 32, 1), f64([3], 33)]);
  check('instanceNorm 2d N=1', (x) => nk.instanceNorm(x), [f64([1, 2, 3, 3], 34, -4)]);
  // with running statistics (useInputStats = false) it is batch norm in eval mode
  check('instanceNorm eval', (x, w) => nk.instanceNorm(x, nk.zeros([2], { dtype: 'float64' }), nk.full([2], 2, { dtype: 'float64' }), w, null, false), [f64([2, 2, 3], 35), f64([2], 36)]);
});

test('module gradients through BatchNorm2d, GroupNorm and InstanceNorm1d match finite differences (float64 parameters)', () => {
  const bn = new nk.BatchNorm2d(2, { dtype: 'float64' });
  bn.weight!.data.set([1.5, -0.5]);
  bn.bias!.data.set([0.2, 0.1]);
  check('BatchNorm2d', (x) => bn.forward(x), [f64([2, 2, 2, 3], 41)]);
  // the module's own parameters are the checked inputs: forward reads them through param()
  const xf = nk.randn([2, 2, 3, 1], { dtype: 'float64', rng: new nk.Rng(1) });
  const r = nk.gradcheck(() => bn.forward(xf), [bn.weight!, bn.bias!]);
  assert.ok(r.ok, `BatchNorm2d params: ${r.maxAbsError}`);
  const gn = new nk.GroupNorm(2, 4, { dtype: 'float64' });
  check('GroupNorm', (x) => gn.forward(x), [f64([1, 4, 3], 42)]);
  const inorm = new nk.InstanceNorm1d(2, { affine: true, dtype: 'float64' });
  check('InstanceNorm1d', (x) => inorm.forward(x), [f64([2, 2, 4], 43)]);
});

test('float32 gradients have the dtype and shape of each input', () => {
  const x = nk.randn([3, 2, 4], { rng: new nk.Rng(3) }).requiresGrad_();
  const w = nk.ones([2], { dtype: 'float64' }).requiresGrad_();
  const b = nk.zeros([2]).requiresGrad_();
  nk.sum(nk.mul(nk.batchNorm(x, null, null, w, b, true), x)).backward();
  assert.equal(x.grad!.dtype, 'float32');
  assert.equal(w.grad!.dtype, 'float64');
  assert.deepEqual(w.grad!.shape, [2]);
  assert.deepEqual(b.grad!.shape, [2]);
});
