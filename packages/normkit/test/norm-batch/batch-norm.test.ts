import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { batchnormRef } from '../../src/kernels/reference/batchnorm.js';
import { assertClose } from '../helpers.js';

// A [3, 2] batch whose statistics are easy by hand:
//   channel 0: 1, 3, 5   -> mean 3,  biased var 8/3,    unbiased var 4
//   channel 1: 10, 20, 60 -> mean 30, biased var 1400/3, unbiased var 700
const B1 = () => nk.tensor([[1, 10], [3, 20], [5, 60]], null, { dtype: 'float64' });
//   channel 0: 2, 4, 6 -> mean 4, unbiased var 4; channel 1: constant 0 -> mean 0, var 0
const B2 = () => nk.tensor([[2, 0], [4, 0], [6, 0]], null, { dtype: 'float64' });

test('BatchNorm defaults are PyTorch\'s: eps 1e-5, momentum 0.1, affine, tracking, buffers and state dict names', () => {
  const bn = new nk.BatchNorm2d(4);
  assert.equal(bn.eps, 1e-5);
  assert.equal(bn.momentum, 0.1);
  assert.equal(bn.affine, true);
  assert.equal(bn.trackRunningStats, true);
  assert.deepEqual(bn.weight!.toList(), [1, 1, 1, 1]);
  assert.deepEqual(bn.bias!.toList(), [0, 0, 0, 0]);
  assert.deepEqual(bn.runningMean!.toList(), [0, 0, 0, 0]);
  assert.deepEqual(bn.runningVar!.toList(), [1, 1, 1, 1]);
  assert.equal(bn.numBatchesTracked, 0);
  assert.deepEqual(Object.keys(bn.stateDict()), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  const nbt = bn.stateDict().num_batches_tracked!;
  assert.deepEqual(nbt.shape, []);
  assert.equal(nbt.dtype, 'float64');
  assert.equal(bn.parameters().length, 2);
  assert.equal(bn.buffers().length, 3);
});

test('BatchNorm training normalizes with batch mean and biased variance, eval with running stats', () => {
  const bn = new nk.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
  const x = B1();
  const y = bn.forward(x);
  const ref = batchnormRef(x.data, x.shape, null, null, 1e-5);
  assertClose(y.data, ref.out, { atol: 1e-12, rtol: 1e-12 });
  // by hand: channel 0, x = 1: (1 - 3) / sqrt(8/3 + 1e-5)
  assert.ok(Math.abs(y.data[0]! - -2 / Math.sqrt(8 / 3 + 1e-5)) < 1e-12);
  bn.eval();
  const ye = bn.forward(x);
  // eval: running stats = batch mean and UNBIASED var (momentum null, one step)
  assert.ok(Math.abs(ye.data[0]! - -2 / Math.sqrt(4 + 1e-5)) < 1e-12);
  assert.ok(Math.abs(ye.data[1]! - -20 / Math.sqrt(700 + 1e-5)) < 1e-12);
  // eval does not move the running stats or the counter
  assert.equal(bn.numBatchesTracked, 1);
  assert.deepEqual(bn.runningMean!.toList(), [3, 30]);
});

test('running stats with momentum 0.1 match hand-computed values (unbiased running var)', () => {
  const bn = new nk.BatchNorm1d(2, { dtype: 'float64' });
  bn.forward(B1());
  // r = 0.9 r + 0.1 stat from (0, 1): mean [0.3, 3], var [0.9 + 0.4, 0.9 + 70]
  assertClose(bn.runningMean!.data, [0.3, 3], { atol: 1e-12 });
  assertClose(bn.runningVar!.data, [1.3, 70.9], { atol: 1e-12 });
  assert.equal(bn.numBatchesTracked, 1);
  bn.forward(B1());
  assertClose(bn.runningMean!.data, [0.57, 5.7], { atol: 1e-12 });
  assertClose(bn.runningVar!.data, [1.57, 133.81], { atol: 1e-12 });
  assert.equal(bn.numBatchesTracked, 2);
});

test('momentum null is a cumulative moving average with factor 1/numBatchesTracked', () => {
  const bn = new nk.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
  bn.forward(B1());
  assertClose(bn.runningMean!.data, [3, 30], { atol: 1e-12 });
  assertClose(bn.runningVar!.data, [4, 700], { atol: 1e-9 });
  bn.forward(B2());
  // averages of the two batches' stats: mean [(3+4)/2, (30+0)/2], var [(4+4)/2, (700+0)/2]
  assertClose(bn.runningMean!.data, [3.5, 15], { atol: 1e-12 });
  assertClose(bn.runningVar!.data, [4, 350], { atol: 1e-9 });
  assert.equal(bn.numBatchesTracked, 2);
  assert.equal(bn.toString(), 'BatchNorm1d(2, eps=1e-5, momentum=null, affine=true, trackRunningStats=true)');
});

test('float32 running stats update in place (same tensors) and float32 output', () => {
  const bn = new nk.BatchNorm1d(2);
  const rm = bn.runningMean!;
  const y = bn.forward(nk.tensor([[1, 10], [3, 20], [5, 60]]));
  assert.equal(y.dtype, 'float32');
  assert.equal(bn.runningMean, rm);
  assertClose(rm.data, [0.3, 3], { rtol: 1e-6 });
});

test('train/eval mismatch: eval on the training batch differs by sqrt((M-1)/M); biased running var removes it', () => {
  const x = nk.randn([4, 3, 2], { dtype: 'float64', rng: new nk.Rng(3) });
  const M = 8;
  for (const unbiased of [true, false]) {
    const bn = new nk.BatchNorm1d(3, { momentum: null, eps: 0, dtype: 'float64', unbiasedRunningVar: unbiased });
    const yt = bn.forward(x);
    const ye = bn.eval().forward(x);
    const ratio = unbiased ? Math.sqrt((M - 1) / M) : 1;
    assertClose(ye.data, Float64Array.from(yt.data, (v) => v * ratio), { atol: 1e-12, rtol: 1e-10 });
  }
});

test('trackRunningStats=false: no buffers, batch statistics in training and eval', () => {
  const bn = new nk.BatchNorm1d(2, { trackRunningStats: false, dtype: 'float64' });
  assert.equal(bn.runningMean, null);
  assert.equal(bn.runningVar, null);
  assert.equal(bn.numBatchesTracked, 0);
  assert.deepEqual(Object.keys(bn.stateDict()), ['weight', 'bias']);
  const x = B1();
  const yt = bn.forward(x);
  const ye = bn.eval().forward(x);
  assert.deepEqual(ye.toList(), yt.toList());
  assertClose(ye.data, batchnormRef(x.data, x.shape, null, null, 1e-5).out, { atol: 1e-12 });
  assert.throws(() => bn.forward(nk.ones([1, 2])), /expected more than 1 value per channel when training, got input size \[1, 2\]/);
});

test('affine=false: weight and bias are null and the state dict holds only buffers', () => {
  const bn = new nk.BatchNorm2d(3, { affine: false });
  assert.equal(bn.weight, null);
  assert.equal(bn.bias, null);
  assert.deepEqual(Object.keys(bn.stateDict()), ['running_mean', 'running_var', 'num_batches_tracked']);
  const x = nk.randn([2, 3, 2, 2], { rng: new nk.Rng(1) });
  assertClose(bn.forward(x).data, batchnormRef(x.data, x.shape, null, null, 1e-5).out, { atol: 1e-5 });
});

test('weight and bias apply per channel; forward reads weights through param() (parametrizations work)', () => {
  const bn = new nk.BatchNorm1d(2, { dtype: 'float64' });
  bn.weight!.data.set([2, 3]);
  bn.bias!.data.set([1, -1]);
  const x = B1();
  const ref = batchnormRef(x.data, x.shape, [2, 3], [1, -1], 1e-5).out;
  assertClose(bn.forward(x).data, ref, { atol: 1e-12 });
  bn.registerParametrization('weight', () => nk.tensor([4, 6], null, { dtype: 'float64' }));
  const ref2 = batchnormRef(x.data, x.shape, [4, 6], [1, -1], 1e-5).out;
  assertClose(bn.forward(x).data, ref2, { atol: 1e-12 });
});

test('BatchNorm errors: wrong rank, channel mismatch, one value per channel', () => {
  assert.throws(() => new nk.BatchNorm2d(3).forward(nk.zeros([2, 3, 4])), /expected 4D input \(got 3D input\)/);
  assert.throws(() => new nk.BatchNorm1d(3).forward(nk.zeros([2, 3, 4, 4])), /expected 2D or 3D input \(got 4D input\)/);
  assert.throws(() => new nk.BatchNorm3d(3).forward(nk.zeros([2, 3, 4, 4])), /expected 5D input \(got 4D input\)/);
  assert.throws(() => new nk.BatchNorm1d(3).forward(nk.zeros([2, 4])), /expected input with 3 channels at dim 1 \(numFeatures=3\), got 4 in input of shape \[2, 4\]/);
  assert.throws(() => new nk.BatchNorm2d(3).forward(nk.zeros([2, 5, 2, 2])), /got 5 in input of shape \[2, 5, 2, 2\]/);
  const bn = new nk.BatchNorm1d(4);
  assert.throws(() => bn.forward(nk.ones([1, 4])), (e: Error) => e.message === 'expected more than 1 value per channel when training, got input size [1, 4]');
  assert.equal(bn.numBatchesTracked, 0, 'a rejected batch is not counted');
  // eval with running stats accepts a single sample
  assert.deepEqual(bn.eval().forward(nk.ones([1, 4])).shape, [1, 4]);
  // one value per channel also for [1, C, 1]
  assert.throws(() => new nk.BatchNorm1d(2).forward(nk.ones([1, 2, 1])), /got input size \[1, 2, 1\]/);
  assert.throws(() => new nk.BatchNorm1d(0), /numFeatures must be a positive integer, got 0/);
  assert.throws(() => new nk.BatchNorm1d(2, { momentum: 1.5 }), /momentum must be in \[0, 1\] or null, got 1.5/);
});

test('functional batchNorm: errors and in-place running stats update', () => {
  const x = B1();
  assert.throws(() => nk.batchNorm(x, null, null), /needs runningMean and runningVar/);
  assert.throws(() => nk.batchNorm(x, nk.zeros([3]), nk.ones([2]), null, null, true), /running_mean should contain 2 elements .* got 3/);
  assert.throws(() => nk.batchNorm(x, null, null, nk.ones([5]), null, true), /weight should contain 2 elements/);
  assert.throws(() => nk.batchNorm(nk.ones([1, 3]), null, null, null, null, true), /expected more than 1 value per channel when training, got input size \[1, 3\]/);
  assert.throws(() => nk.batchNorm(nk.ones([3]), null, null, null, null, true), /\[N, C, \*\].*got \[3\]/);
  const rm = nk.tensor([1, 1], null, { dtype: 'float64' });
  const rv = nk.tensor([2, 2], null, { dtype: 'float64' });
  nk.batchNorm(x, rm, rv, null, null, true, 0.5);
  assertClose(rm.data, [0.5 + 1.5, 0.5 + 15], { atol: 1e-12 });
  assertClose(rv.data, [1 + 2, 1 + 350], { atol: 1e-9 });
  // biased running variance (Keras / ONNX convention)
  const rv2 = nk.tensor([0, 0], null, { dtype: 'float64' });
  nk.batchNorm(x, null, rv2, null, null, true, 1, 1e-5, { unbiasedRunningVar: false });
  assertClose(rv2.data, [8 / 3, 1400 / 3], { atol: 1e-9 });
  // eval: uses the given statistics
  const ye = nk.batchNorm(x, nk.tensor([3, 30], null, { dtype: 'float64' }), nk.tensor([4, 700], null, { dtype: 'float64' }), null, null, false, 0.1, 0);
  assertClose(ye.data, [-1, -20 / Math.sqrt(700), 0, -10 / Math.sqrt(700), 1, 30 / Math.sqrt(700)], { atol: 1e-12 });
});

test('Keras BatchNormalization(momentum=0.99, epsilon=1e-3) from options: momentum 0.01, eps 1e-3, biased running var', () => {
  const bn = new nk.BatchNorm1d(2, { eps: 1e-3, momentum: 0.01, unbiasedRunningVar: false, dtype: 'float64' });
  bn.forward(B1());
  // Keras: moving = moving * 0.99 + batch * 0.01 with the biased batch variance
  assertClose(bn.runningMean!.data, [0.03, 0.3], { atol: 1e-12 });
  assertClose(bn.runningVar!.data, [0.99 + 0.01 * 8 / 3, 0.99 + 0.01 * 1400 / 3], { atol: 1e-12 });
  assert.equal(bn.toString(), 'BatchNorm1d(2, eps=0.001, momentum=0.01, affine=true, trackRunningStats=true, unbiasedRunningVar=false)');
});

test('generic BatchNorm with axis=-1 (channels last) equals BatchNorm1d on the permuted input', () => {
  const x = nk.randn([2, 5, 3], { dtype: 'float64', rng: new nk.Rng(9) });
  const a = new nk.BatchNorm(3, { axis: -1, dtype: 'float64' });
  const b = new nk.BatchNorm1d(3, { dtype: 'float64' });
  const ya = a.forward(x);
  const yb = nk.permute(b.forward(nk.permute(x, [0, 2, 1])), [0, 2, 1]);
  assertClose(ya.data, yb.data, { atol: 1e-12 });
  assertClose(a.runningVar!.data, b.runningVar!.data, { atol: 1e-12 });
  assert.equal(a.toString(), 'BatchNorm(3, eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true, axis=-1)');
  assert.equal(a.getConfig().axis, -1);
  assert.throws(() => a.forward(nk.zeros([2, 3, 5])), /expected input with 3 channels at dim 2 .*got 5/);
  // any rank works, e.g. [N, H, W, C]
  assert.deepEqual(a.forward(nk.randn([2, 2, 2, 3], { dtype: 'float64' })).shape, [2, 2, 2, 3]);
});

test('stateDict round trip restores running stats, numBatchesTracked and eval outputs', () => {
  const a = new nk.BatchNorm2d(3);
  const rng = new nk.Rng(5);
  a.weight!.data.set([0.5, 2, -1]);
  for (let i = 0; i < 3; i++) a.forward(nk.randn([2, 3, 2, 2], { rng }));
  const b = new nk.BatchNorm2d(3);
  b.loadStateDict(a.stateDict());
  assert.equal(b.numBatchesTracked, 3);
  assert.deepEqual(b.runningMean!.toList(), a.runningMean!.toList());
  assert.deepEqual(b.runningVar!.toList(), a.runningVar!.toList());
  const x = nk.randn([2, 3, 2, 2], { rng });
  assert.deepEqual(b.eval().forward(x).toList(), a.eval().forward(x).toList());
});

test('toString, getConfig round trip, resetRunningStats, resetParameters', () => {
  const bn = new nk.BatchNorm2d(16);
  assert.equal(bn.toString(), 'BatchNorm2d(16, eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true)');
  assert.equal(new nk.BatchNorm3d(4, { affine: false, trackRunningStats: false }).toString(), 'BatchNorm3d(4, eps=1e-5, momentum=0.1, affine=false, trackRunningStats=false)');
  const cfg = new nk.BatchNorm1d(8, { eps: 1e-3, momentum: null, affine: false }).getConfig();
  assert.deepEqual(new nk.BatchNorm1d(cfg.numFeatures, cfg).getConfig(), cfg);
  assert.deepEqual(cfg, { numFeatures: 8, eps: 1e-3, momentum: null, affine: false, trackRunningStats: true, unbiasedRunningVar: true, dtype: 'float32', axis: 1 });
  const m = new nk.BatchNorm1d(2);
  m.forward(nk.tensor([[1, 2], [3, 5]]));
  m.weight!.data.set([3, 3]);
  m.bias!.data.set([1, 1]);
  m.resetRunningStats();
  assert.deepEqual(m.runningMean!.toList(), [0, 0]);
  assert.deepEqual(m.runningVar!.toList(), [1, 1]);
  assert.equal(m.numBatchesTracked, 0);
  assert.deepEqual(m.weight!.toList(), [3, 3]);
  m.resetParameters();
  assert.deepEqual(m.weight!.toList(), [1, 1]);
  assert.deepEqual(m.bias!.toList(), [0, 0]);
});

test('module gradients reach weight and bias with per-channel shape for every input rank', () => {
  for (const [bn, shape] of [
    [new nk.BatchNorm1d(3), [4, 3]], [new nk.BatchNorm1d(3), [2, 3, 5]],
    [new nk.BatchNorm2d(3), [2, 3, 2, 2]], [new nk.BatchNorm3d(3), [2, 3, 2, 1, 2]],
  ] as [nk.BatchNorm, number[]][]) {
    const x = nk.randn([...shape], { rng: new nk.Rng(2) }).requiresGrad_();
    const y = bn.forward(x);
    nk.sum(nk.mul(y, nk.randn([...shape], { rng: new nk.Rng(4) }))).backward();
    assert.deepEqual(bn.weight!.grad!.shape, [3]);
    assert.deepEqual(bn.bias!.grad!.shape, [3]);
    assert.deepEqual(x.grad!.shape, [...shape]);
    // gradients through the batch mean: dx sums to zero over each channel
    const C = 3;
    const S = shape.slice(2).reduce((a, b) => a * b, 1);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < shape[0]!; n++) for (let k = 0; k < S; k++) s += x.grad!.data[(n * C + c) * S + k]!;
      assert.ok(Math.abs(s) < 1e-4, `channel ${c} dx sum ${s}`);
    }
  }
});
