import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { f64, checkGrad } from '../helpers.js';



test('gradients of broadcasting binary ops match finite differences', () => {
  checkGrad('add', (a, b) => nk.add(a, b), [f64([3, 4], 1), f64([4], 2)]);
  checkGrad('sub', (a, b) => nk.sub(a, b), [f64([2, 1, 3], 3), f64([4, 1], 4)]);
  checkGrad('mul', (a, b) => nk.mul(a, b), [f64([3, 4], 5), f64([3, 1], 6)]);
  checkGrad('div', (a, b) => nk.div(a, b), [f64([3, 4], 7), f64([4], 8, 5)]);
});

test('gradients of unary ops match finite differences', () => {
  for (const [name, fn, shift] of [
    ['exp', nk.exp, 0], ['log', nk.log, 5], ['sqrt', nk.sqrt, 5], ['tanh', nk.tanh, 0], ['sigmoid', nk.sigmoid, 0],
    ['relu', nk.relu, 0.05], ['gelu', nk.gelu, 0], ['neg', nk.neg, 0], ['abs', nk.abs, 0.05],
  ] as const) {
    checkGrad(name, (x) => (fn as (t: nk.Tensor) => nk.Tensor)(x), [f64([5, 3], 11, shift)]);
  }
  checkGrad('pow', (x) => nk.pow(x, 3), [f64([4], 12)]);
});

test('gradients of reductions, shape ops and matmul match finite differences', () => {
  checkGrad('sum', (x) => nk.sum(x, [0, 2], true), [f64([2, 3, 4], 21)]);
  checkGrad('mean', (x) => nk.mean(x, 1), [f64([2, 3, 4], 22)]);
  checkGrad('max', (x) => nk.max(x, -1), [f64([3, 5], 23)]);
  checkGrad('permute', (x) => nk.permute(x, [2, 0, 1]), [f64([2, 3, 4], 24)]);
  checkGrad('expand', (x) => nk.expand(x, [3, 2, 4]), [f64([2, 1], 25)]);
  checkGrad('slice', (x) => nk.slice(x, 1, 1, 3), [f64([2, 4], 26)]);
  checkGrad('concat', (a, b) => nk.concat([a, b], 1), [f64([2, 2], 27), f64([2, 3], 28)]);
  checkGrad('indexSelect', (x) => nk.indexSelect(x, 0, [2, 0, 2]), [f64([3, 4], 29)]);
  checkGrad('matmul', (a, b) => nk.matmul(a, b), [f64([2, 3, 4], 30), f64([4, 5], 31)]);
  checkGrad('matmul batched both', (a, b) => nk.matmul(a, b), [f64([2, 1, 3, 4], 32), f64([3, 4, 2], 33)]);
  checkGrad('softmax', (x) => nk.softmax(x, 0), [f64([4, 3], 34)]);
  checkGrad('logSoftmax', (x) => nk.logSoftmax(x, -1), [f64([3, 5], 35)]);
});

test('gradients accumulate over shared inputs and across backward calls', () => {
  const x = nk.tensor([1, 2, 3], null, { dtype: 'float64', requiresGrad: true });
  nk.sum(nk.mul(x, x)).backward();
  assert.deepEqual(x.grad!.toList(), [2, 4, 6]);
  nk.sum(x).backward();
  assert.deepEqual(x.grad!.toList(), [3, 5, 7]);
});

test('noGrad records nothing and backward on such a tensor explains why', () => {
  const x = nk.ones([2], { requiresGrad: true });
  const y = nk.noGrad(() => nk.sum(nk.mul(x, x)));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => y.backward(), /does not require grad/);
  assert.throws(() => nk.mul(x, x).backward(), /one-element tensor, got shape \[2\]/);
});

test('a deep chain (10k ops) backpropagates without stack overflow', () => {
  const x = nk.tensor([0.5], null, { dtype: 'float64', requiresGrad: true });
  let y = x;
  for (let i = 0; i < 10000; i++) y = nk.add(y, 0.001);
  y.backward();
  assert.equal(x.grad!.item(), 1);
});
