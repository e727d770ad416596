import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { groupnormRef } from '../../src/kernels/reference/groupnorm.js';
import { instancenormRef } from '../../src/kernels/reference/instancenorm.js';
import { assertClose } from '../helpers.js';

const f64 = (shape: number[], seed: number, shift = 0) => {
  const t = nk.randn(shape, { dtype: 'float64', rng: new nk.Rng(seed) });
  for (let i = 0; i < t.size; i++) t.data[i] += shift;
  return t;
};

// ---------------------------------------------------------------- GroupNorm

test('GroupNorm defaults, parameters, state dict and toString', () => {
  const gn = new nk.GroupNorm(2, 6);
  assert.equal(gn.eps, 1e-5);
  assert.equal(gn.affine, true);
  assert.deepEqual(gn.weight!.toList(), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(gn.bias!.toList(), [0, 0, 0, 0, 0, 0]);
  assert.equal(gn.runningMean, null);
  assert.equal(gn.runningVar, null);
  assert.deepEqual(Object.keys(gn.stateDict()), ['weight', 'bias']);
  assert.equal(gn.toString(), 'GroupNorm(2, 6, eps=1e-5, affine=true)');
  const g2 = new nk.GroupNorm(3, 3, { affine: false, eps: 1e-3 });
  assert.equal(g2.weight, null);
  assert.deepEqual(Object.keys(g2.stateDict()), []);
  assert.equal(g2.toString(), 'GroupNorm(3, 3, eps=0.001, affine=false)');
  const cfg = gn.getConfig();
  assert.deepEqual(new nk.GroupNorm(cfg.numGroups, cfg.numChannels, cfg).getConfig(), cfg);
});

test('GroupNorm normalizes per sample and group over channels-in-group and spatial dims, same in train and eval, batch 1 works', () => {
  for (const [G, shape] of [[2, [1, 6, 4]], [3, [2, 6, 2, 3]], [1, [3, 4]], [4, [2, 4, 5]], [1, [1, 5, 2, 2]]] as [number, number[]][]) {
    const gn = new nk.GroupNorm(G, shape[1]!, { dtype: 'float64' });
    gn.weight!.data.set(Array.from({ length: shape[1]! }, (_, i) => 0.5 + i));
    gn.bias!.data.set(Array.from({ length: shape[1]! }, (_, i) => i - 1));
    const x = f64(shape, G * 10 + shape.length);
    const y = gn.forward(x);
    const ref = groupnormRef(x.data, shape, G, gn.weight!.data, gn.bias!.data, 1e-5).out;
    assertClose(y.data, ref, { atol: 1e-12, rtol: 1e-10, msg: `G=${G} shape=${shape}` });
    assert.deepEqual(gn.eval().forward(x).toList(), y.toList());
  }
});

test('GroupNorm errors: numChannels not divisible at construction, channel mismatch at run time', () => {
  assert.throws(() => new nk.GroupNorm(4, 6), /numChannels must be divisible by numGroups, got numChannels=6 and numGroups=4/);
  assert.throws(() => new nk.GroupNorm(0, 6), /numGroups must be a positive integer, got 0/);
  const gn = new nk.GroupNorm(2, 6);
  assert.throws(() => gn.forward(nk.zeros([2, 4, 3])), /expected input of shape \[N, 6, \*\], got \[2, 4, 3\]/);
  assert.throws(() => gn.forward(nk.zeros([6])), /got \[6\]/);
  assert.throws(() => nk.groupNorm(nk.zeros([2, 6, 3]), 4), /divisible by numGroups, got input of shape \[2, 6, 3\] \(6 channels\) and numGroups=4/);
  assert.throws(() => nk.groupNorm(nk.zeros([2, 6, 3]), 2, nk.ones([3])), /weight should contain 6 elements/);
});

test('GroupNorm with numGroups = 1 equals LayerNorm over (C, *) when the affine is trivial', () => {
  const x = f64([2, 4, 3], 7, 3);
  const a = new nk.GroupNorm(1, 4, { dtype: 'float64' }).forward(x);
  const b = nk.layerNorm(x, [4, 3]);
  assertClose(a.data, b.data, { atol: 1e-12 });
});

// ---------------------------------------------------------------- InstanceNorm

test('InstanceNorm defaults are PyTorch\'s: affine=false, trackRunningStats=false, no state', () => {
  const m = new nk.InstanceNorm2d(3);
  assert.equal(m.eps, 1e-5);
  assert.equal(m.momentum, 0.1);
  assert.equal(m.weight, null);
  assert.equal(m.bias, null);
  assert.equal(m.runningMean, null);
  assert.equal(m.runningVar, null);
  assert.deepEqual(Object.keys(m.stateDict()), []);
  assert.equal(m.toString(), 'InstanceNorm2d(3, eps=1e-5, momentum=0.1, affine=false, trackRunningStats=false)');
  const t = new nk.InstanceNorm1d(4, { affine: true, trackRunningStats: true });
  assert.deepEqual(Object.keys(t.stateDict()), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  assert.equal(t.toString(), 'InstanceNorm1d(4, eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true)');
  assert.deepEqual(new nk.InstanceNorm3d(2).getConfig(), { numFeatures: 2, eps: 1e-5, momentum: 0.1, affine: false, trackRunningStats: false, unbiasedRunningVar: true, dtype: 'float32' });
});

test('InstanceNorm normalizes per sample and channel over spatial dims, in training and eval alike', () => {
  for (const [m, shape] of [
    [new nk.InstanceNorm1d(3, { dtype: 'float64' }), [2, 3, 5]],
    [new nk.InstanceNorm2d(2, { affine: true, dtype: 'float64' }), [3, 2, 2, 3]],
    [new nk.InstanceNorm3d(1, { dtype: 'float64' }), [2, 1, 2, 2, 2]],
  ] as [nk.InstanceNormBase, number[]][]) {
    if (m.affine) {
      m.weight!.data.set([2, -1]);
      m.bias!.data.set([0.5, 3]);
    }
    const x = f64(shape, shape.length, 10);
    const y = m.forward(x);
    assertClose(y.data, instancenormRef(x.data, shape, m.weight?.data ?? null, m.bias?.data ?? null, 1e-5).out, { atol: 1e-12, rtol: 1e-10 });
    assert.deepEqual(m.eval().forward(x).toList(), y.toList());
  }
});

test('InstanceNorm equals LayerNorm over the spatial dims, and GroupNorm with one channel per group', () => {
  const x = f64([2, 3, 4, 5], 17, -2);
  const y = new nk.InstanceNorm2d(3, { dtype: 'float64' }).forward(x);
  const ln = nk.layerNorm(x, [4, 5]);
  assertClose(y.data, ln.data, { atol: 1e-12 });
  const gn = new nk.GroupNorm(3, 3, { dtype: 'float64' });
  const inA = new nk.InstanceNorm2d(3, { affine: true, dtype: 'float64' });
  gn.weight!.data.set([1, 2, 3]);
  inA.weight!.data.set([1, 2, 3]);
  assert.deepEqual(inA.forward(x).toList(), gn.forward(x).toList());
});

test('InstanceNorm with trackRunningStats: running stats are the batch average of instance stats (unbiased var); eval uses them', () => {
  // two samples, one channel, 3 spatial values: [1, 2, 3] (mean 2, unbiased var 1), [4, 6, 8] (mean 6, unbiased var 4)
  const m = new nk.InstanceNorm1d(1, { trackRunningStats: true, dtype: 'float64' });
  const x = nk.tensor([[[1, 2, 3]], [[4, 6, 8]]], null, { dtype: 'float64' });
  m.forward(x);
  assertClose(m.runningMean!.data, [0.1 * 4], { atol: 1e-12 });
  assertClose(m.runningVar!.data, [0.9 + 0.1 * 2.5], { atol: 1e-12 });
  // PyTorch's InstanceNorm never increments num_batches_tracked (only _BatchNorm.forward does)
  assert.equal(m.numBatchesTracked, 0);
  // momentum null: PyTorch passes momentum 0.0 to F.instance_norm, so the running stats stay put
  const frozen = new nk.InstanceNorm1d(1, { trackRunningStats: true, momentum: null, dtype: 'float64' });
  frozen.forward(x);
  assert.deepEqual([...frozen.runningMean!.data, ...frozen.runningVar!.data], [0, 1]);
  m.eval();
  const y = m.forward(x);
  assertClose(y.data, Array.from(x.data, (v) => (v - 0.4) / Math.sqrt(1.15 + 1e-5)), { atol: 1e-12 });
  // momentum null: PyTorch passes 0.0 to F.instance_norm (checked above with `frozen`), not a cumulative average
  // functional form updates in place as well
  const rm = nk.zeros([1], { dtype: 'float64' });
  const rv = nk.ones([1], { dtype: 'float64' });
  nk.instanceNorm(x, rm, rv, null, null, true, 0.5);
  assertClose(rm.data, [2], { atol: 1e-12 });
  assertClose(rv.data, [0.5 + 1.25], { atol: 1e-12 });
});

test('InstanceNorm accepts unbatched input [C, L]', () => {
  const m = new nk.InstanceNorm1d(2, { dtype: 'float64' });
  const x = f64([2, 6], 8);
  const y = m.forward(x);
  assert.deepEqual(y.shape, [2, 6]);
  assertClose(y.data, instancenormRef(x.data, [1, 2, 6], null, null, 1e-5).out, { atol: 1e-12 });
});

test('InstanceNorm errors: rank, one spatial element when training, channel mismatch with affine', () => {
  assert.throws(() => new nk.InstanceNorm2d(3).forward(nk.zeros([3, 4])), /expected 3D or 4D input \(got 2D input\)/);
  assert.throws(() => new nk.InstanceNorm1d(3).forward(nk.zeros([2, 3, 4, 4])), /expected 2D or 3D input \(got 4D input\)/);
  assert.throws(() => new nk.InstanceNorm1d(3).forward(nk.zeros([2, 3, 1])), (e: Error) => e.message === 'expected more than 1 spatial element when training, got input size [2, 3, 1]');
  assert.throws(() => nk.instanceNorm(nk.zeros([2, 3, 1])), /expected more than 1 spatial element when training, got input size \[2, 3, 1\]/);
  assert.throws(() => new nk.InstanceNorm1d(3, { affine: true }).forward(nk.zeros([2, 4, 5])), /expected input with 3 channels .*got 4/);
  // eval with running stats accepts one spatial element (no instance statistics needed)
  const m = new nk.InstanceNorm1d(3, { trackRunningStats: true });
  assert.deepEqual(m.eval().forward(nk.ones([2, 3, 1])).shape, [2, 3, 1]);
  assert.throws(() => nk.instanceNorm(nk.zeros([2, 3, 4]), null, null, null, null, false), /needs runningMean and runningVar/);
});

test('InstanceNorm stateDict round trip with running stats', () => {
  const a = new nk.InstanceNorm2d(2, { affine: true, trackRunningStats: true });
  a.weight!.data.set([2, 3]);
  a.forward(nk.randn([2, 2, 3, 3], { rng: new nk.Rng(1) }));
  const b = new nk.InstanceNorm2d(2, { affine: true, trackRunningStats: true });
  b.loadStateDict(a.stateDict());
  assert.deepEqual([...b.runningMean!.data], [...a.runningMean!.data]);
  assert.equal(b.numBatchesTracked, 0); // as PyTorch: InstanceNorm does not count batches
  const x = nk.randn([1, 2, 3, 3], { rng: new nk.Rng(2) });
  assert.deepEqual(b.eval().forward(x).toList(), a.eval().forward(x).toList());
});
