import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { check, f64, toF64 } from './helpers.js';

test('MLP: structure, names and the norm before each activation, for every norm kind', () => {
  const mlp = new nk.nn.MLP({ inFeatures: 5, hidden: [8, 8], outFeatures: 3, norm: 'layernorm' });
  assert.deepEqual(Object.keys(mlp.stateDict()), [
    'blocks.0.linear.weight', 'blocks.0.linear.bias', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
    'blocks.1.linear.weight', 'blocks.1.linear.bias', 'blocks.1.norm.weight', 'blocks.1.norm.bias',
    'head.weight', 'head.bias',
  ]);
  assert.equal(mlp.linears.length, 3);
  const types: Record<string, unknown> = {
    none: nk.nn.Identity, batchnorm: nk.BatchNorm, layernorm: nk.LayerNorm, rmsnorm: nk.RMSNorm, groupnorm: nk.GroupNorm, dyt: nk.DyT,
  };
  for (const [norm, cls] of Object.entries(types)) {
    const m = new nk.nn.MLP({ inFeatures: 5, hidden: [8, 8], outFeatures: 3, norm: norm as 'none', activation: 'tanh' });
    assert.ok(m.blocks.at(0).norm instanceof (cls as new (...a: never[]) => unknown), norm);
    assert.deepEqual(m.forward(nk.randn([4, 5])).shape, [4, 3], norm);
  }
  // normalization sits before the activation: with layernorm, each pre-activation row has mean 0, var 1
  mlp.capture = true;
  mlp.forward(nk.randn([6, 5], { rng: new nk.Rng(1) }));
  const pre = mlp.preActivations[1]!;
  for (let r = 0; r < 6; r++) {
    const row = Array.from(pre.data.subarray(r * 8, r * 8 + 8));
    const m = row.reduce((a, b) => a + b, 0) / 8;
    assert.ok(Math.abs(m) < 1e-5);
  }
  assert.ok(mlp.activations[0]!.toList().flat(2).every((v) => (v as number) >= 0), 'relu outputs');
  assert.throws(() => new nk.nn.MLP({ inFeatures: 5, hidden: [8], outFeatures: 3, norm: 'bogus' as 'none' }), /unknown normalization 'bogus'/);
  assert.throws(() => new nk.nn.MLP({ inFeatures: 5, hidden: [0], outFeatures: 3 }), /hidden\[0\] must be a positive integer, got 0/);
  assert.throws(() => mlp.forward(nk.ones([2, 4])), /expected input with shape \[\*, 5\], got \[2, 4\]/);
  assert.throws(() => new nk.nn.MLP({ inFeatures: 5, hidden: [8], outFeatures: 3, activation: 'swish' as 'relu' }), /unknown activation 'swish'/);
});

test('MLP gradients match finite differences (residual, groupnorm, batchnorm)', () => {
  for (const [norm, residual] of [['groupnorm', true], ['batchnorm', false], ['rmsnorm', true]] as const) {
    const mlp = toF64(new nk.nn.MLP({ inFeatures: 4, hidden: [6, 6], outFeatures: 2, norm, residual, normGroups: 3, activation: 'tanh', rng: new nk.Rng(2) }));
    check(`mlp ${norm}`, (x) => mlp.forward(x), [f64([5, 4], 3), ...mlp.parameters()], { maxPerInput: 16 });
  }
});

test('makeNorm maps names to modules for both layouts and rejects meaningless pairs', () => {
  assert.ok(nk.nn.makeNorm('layernorm', 8, { layout: 'channels' }) instanceof nk.GroupNorm);
  assert.equal((nk.nn.makeNorm('layernorm', 8, { layout: 'channels' }) as nk.GroupNorm).numGroups, 1);
  assert.equal((nk.nn.makeNorm('groupnorm', 32, { layout: 'channels' }) as nk.GroupNorm).numGroups, 8);
  assert.equal((nk.nn.makeNorm('groupnorm', 12) as nk.GroupNorm).numGroups, 6);
  assert.ok(nk.nn.makeNorm('batchnorm', 8, { layout: 'channels' }) instanceof nk.BatchNorm2d);
  assert.ok(nk.nn.makeNorm('instancenorm', 8, { layout: 'channels' }) instanceof nk.InstanceNorm2d);
  assert.throws(() => nk.nn.makeNorm('rmsnorm', 8, { layout: 'channels' }), /'rmsnorm' is not available for the 'channels' layout/);
  assert.throws(() => nk.nn.makeNorm('instancenorm', 8), /'instancenorm' is not available for the 'features' layout/);
  // features layout on [B, T, F]: batchnorm and groupnorm normalize per feature / per row group
  const x = nk.randn([3, 4, 8], { rng: new nk.Rng(4) });
  assert.deepEqual(nk.nn.makeNorm('batchnorm', 8).forward(x).shape, [3, 4, 8]);
  const g = nk.nn.makeNorm('groupnorm', 8, { groups: 2 }).forward(x);
  const row = Array.from(g.data.subarray(0, 4));
  assert.ok(Math.abs(row.reduce((a, b) => a + b, 0)) < 1e-5);
});

test('smoke training: an MLP learns XOR quadrants to > 90% accuracy with Adam', () => {
  const rng = new nk.Rng(5);
  const N = 256;
  const xs = new Float32Array(N * 2);
  const ys = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const a = rng.uniform() * 2 - 1;
    const b = rng.uniform() * 2 - 1;
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = a * b > 0 ? 1 : 0;
  }
  const X = nk.tensor(xs, [N, 2]);
  for (const norm of ['none', 'layernorm', 'batchnorm'] as const) {
    const t0 = performance.now();
    const mlp = new nk.nn.MLP({ inFeatures: 2, hidden: [32, 32], outFeatures: 2, norm, rng: new nk.Rng(6) });
    const opt = new nk.optim.Adam(mlp.parameters(), { lr: 0.01 });
    for (let step = 0; step < 200; step++) {
      opt.zeroGrad();
      nk.F.crossEntropy(mlp.forward(X), ys).backward();
      opt.step();
    }
    mlp.eval();
    const logits = nk.noGrad(() => mlp.forward(X)).data;
    let correct = 0;
    for (let i = 0; i < N; i++) if ((logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0) === ys[i]) correct++;
    const ms = performance.now() - t0;
    assert.ok(correct / N > 0.9, `${norm}: accuracy ${correct / N}`);
    assert.ok(ms < 5000, `${norm}: took ${ms} ms`);
  }
});
