import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

const f64 = (shape: number[], seed: number, shift = 0) => {
  const t = nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] += shift;
  return t.requiresGrad_();
};

function check(name: string, fn: (...xs: nk.Tensor[]) => nk.Tensor, inputs: nk.Tensor[]) {
  const r = nk.gradcheck(fn, inputs);
  assert.ok(r.ok, `${name}: max error ${r.maxAbsError} at ${JSON.stringify(r.worst)}`);
}

test('gradients of broadcasting binary ops match finite differences', () => {
  check('add', (a, b) => nk.add(a, b), [f64([3, 4], 1), f64([4], 2)]);
  check('sub', (a, b) => nk.sub(a, b), [f64([2, 1, 3], 3), f64([4, 1], 4)]);
  check('mul', (a, b) => nk.mul(a, b), [f64([3, 4], 5), f64([3, 1], 6)]);
  check('div', (a, b) => nk.div(a, b), [f64([3, 4], 7), f64([4], 8, 5)]);
});

test('gradients of unary ops match finite differences', () => {
  for (const [name, fn, shift] of [
    ['exp', nk.exp, 0], ['log', nk.log, 5], ['sqrt', nk.sqrt, 5], ['tanh', nk.tanh, 0], ['sigmoid', nk.sigmoid, 0],
    ['relu', nk.relu, 0.05], ['gelu', nk.gelu, 0], ['neg', nk.neg, 0], ['abs', nk.abs, 0.05],
  ] as const) {
    check(name, (x) => (fn as (t: nk.Tensor) => nk.Tensor)(x), [f64([5, 3], 11, shift)]);
  }
  check('pow', (x) => nk.pow(x, 3), [f64([4], 12)]);
});

test('gradients of reductions, shape ops and matmul match finite differences', () => {
  check('sum', (x) => nk.sum(x, [0, 2], true), [f64([2, 3, 4], 21)]);
  check('mean', (x) => nk.mean(x, 1), [f64([2, 3, 4], 22)]);
  check('max', (x) => nk.max(x, -1), [f64([3, 5], 23)]);
  check('permute', (x) => nk.permute(x, [2, 0, 1]), [f64([2, 3, 4], 24)]);
  check('expand', (x) => nk.expand(x, [3, 2, 4]), [f64([2, 1], 25)]);
  check('slice', (x) => nk.slice(x, 1, 1, 3), [f64([2, 4], 26)]);
  check('concat', (a, b) => nk.concat([a, b], 1), [f64([2, 2], 27), f64([2, 3], 28)]);
  check('indexSelect', (x) => nk.indexSelect(x, 0, [2, 0, 2]), [f64([3, 4], 29)]);
  check('matmul', (a, b) => nk.matmul(a, b), [f64([2, 3, 4], 30), f64([4, 5], 31)]);
  check('matmul batched both', (a, b) => nk.matmul(a, b), [f64([2, 1, 3, 4], 32), f64([3, 4, 2], 33)]);
  check('softmax', (x) => nk.softmax(x, 0), [f64([4, 3], 34)]);
  check('logSoftmax', (x) => nk.logSoftmax(x, -1), [f64([3, 5], 35)]);
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
