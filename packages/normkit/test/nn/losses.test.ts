import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { check, f64 } from './helpers.js';

test('crossEntropy equals the mean of -log softmax at the targets, and is stable for huge logits', () => {
  const logits = nk.tensor([[1, 2, 3], [0.5, -1, 0]], null, { dtype: 'float64' });
  const ref = (row: number[], t: number) => -(row[t]! - Math.log(row.reduce((s, v) => s + Math.exp(v), 0)));
  const expect = (ref([1, 2, 3], 2) + ref([0.5, -1, 0], 0)) / 2;
  assertClose([nk.F.crossEntropy(logits, [2, 0]).item()], [expect], { atol: 1e-14 });
  assertClose([nk.F.crossEntropy(logits, new Int32Array([2, 0])).item()], [expect], { atol: 1e-14 });
  assertClose([nk.F.crossEntropy(logits, nk.tensor([2, 0])).item()], [expect], { atol: 1e-14 });
  const big = nk.tensor([[1000, 0], [0, -1000]]);
  assertClose([nk.F.crossEntropy(big, [1, 0]).item()], [500], { rtol: 1e-6 });
  // probabilities as targets: one-hot gives the index result
  const onehot = nk.tensor([[0, 0, 1], [1, 0, 0]], null, { dtype: 'float64' });
  assertClose([nk.F.crossEntropy(logits, onehot).item()], [expect], { atol: 1e-14 });
});

test("crossEntropy's gradient matches finite differences (indices and probabilities)", () => {
  check('ce indices', (x) => nk.F.crossEntropy(x, [3, 0, 1, 3]), [f64([4, 5], 1)]);
  const p = nk.softmax(f64([3, 4], 2)).detach().requiresGrad_();
  check('ce probs', (x, q) => nk.F.crossEntropy(x, q!), [f64([3, 4], 3), p]);
  // the analytic form: (softmax - onehot) / N
  const x = nk.tensor([[1, 2], [3, 0]], null, { dtype: 'float64', requiresGrad: true });
  nk.F.crossEntropy(x, [0, 0]).backward();
  const s0 = nk.softmax(x.detach()).toList();
  assertClose(x.grad!.data, [(s0[0]! - 1) / 2, s0[1]! / 2, (s0[2]! - 1) / 2, s0[3]! / 2], { atol: 1e-15 });
});

test('crossEntropy errors name the received values', () => {
  const x = nk.zeros([2, 3]);
  assert.throws(() => nk.F.crossEntropy(x, [0, 3]), /target 3 at position 1 is not a class index in \[0, 2\]/);
  assert.throws(() => nk.F.crossEntropy(x, [0]), /expected 2 targets .* got 1/);
  // [N, C, d] logits are accepted (PyTorch's K-dimensional case); the targets must then be [N, d]
  assert.throws(() => nk.F.crossEntropy(nk.zeros([2, 3, 4]), [0, 1]), /expected 8 class-index targets of shape \[2, 4\]/);
  assert.throws(() => nk.F.crossEntropy(x, [0.5, 1]), /target 0.5 at position 0/);
  assert.throws(() => nk.F.crossEntropy(x, nk.zeros([2, 4])), /must have the logits' shape \[2, 3\], got \[2, 4\]/);
});

test('mseLoss is mean((a - b)^2) with gradients to both sides; shapes must match', () => {
  const a = nk.tensor([1, 2, 3]);
  const b = nk.tensor([1, 0, 6]);
  assertClose([nk.F.mseLoss(a, b).item()], [13 / 3]);
  check('mse', (x, y) => nk.F.mseLoss(x, y!), [f64([2, 3], 4), f64([2, 3], 5)]);
  assert.throws(() => nk.F.mseLoss(nk.zeros([3]), nk.zeros([3, 1])), /shapes differ: \[3\] vs \[3, 1\]/);
});
