/**
 * Every public constructor and functional op that takes options refuses an
 * unknown key with a TypeError naming it and the accepted ones (PyTorch
 * raises on unknown keyword arguments; silently ignoring `{ elementwise_affine: false }`
 * would train a different model than the one ported).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

const BOGUS = { bogus_option: 1 };
const isClass = (v: unknown): v is new (...a: unknown[]) => unknown => typeof v === 'function' && /^class\s/.test(Function.prototype.toString.call(v));
const p = () => nk.tensor([1, 2], null, { requiresGrad: true });

/** How to call each constructor with a bogus option: the arguments before the options object, or a builder. */
const CALLS: Record<string, (C: new (...a: unknown[]) => unknown) => unknown> = {};
const before = (...args: unknown[]) => (C: new (...a: unknown[]) => unknown) => new C(...args, BOGUS);
const inOpts = (base: object) => (C: new (...a: unknown[]) => unknown) => new C({ ...base, ...BOGUS });
for (const n of ['BatchNorm', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'SyncBatchNorm', 'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'InstanceNormBase', 'NormBase', 'DyT', 'LayerNorm', 'RMSNorm']) CALLS[`nk.${n}`] = before(4);
for (const n of ['GroupNorm']) CALLS[`nk.${n}`] = before(2, 4);
CALLS['nk.LocalResponseNorm'] = before(2);
for (const n of ['MaxAbsScaler', 'MinMaxScaler', 'Normalization', 'Normalizer', 'RobustScaler', 'StandardScaler']) CALLS[`nk.${n}`] = before();
Object.assign(CALLS, {
  'nk.nn.AdaptiveAvgPool2d': before(),
  'nk.nn.AvgPool2d': before(2, 2, 0),
  'nk.nn.MaxPool2d': before(2, 2, 0),
  'nk.nn.Conv2d': before(2, 2, 3),
  'nk.nn.Dropout': before(0.5),
  'nk.nn.Embedding': before(4, 2),
  'nk.nn.FeatureGroupNorm': before(2, 4),
  'nk.nn.Flatten': before(),
  'nk.nn.GELU': before(), 'nk.nn.ReLU': before(), 'nk.nn.Tanh': before(), 'nk.nn.Sigmoid': before(), 'nk.nn.Identity': before(),
  'nk.nn.GlobalAvgPool2d': before(),
  'nk.nn.GRUCell': before(2, 3), 'nk.nn.LSTMCell': before(2, 3),
  'nk.nn.RNN': before(2, 3), 'nk.nn.GRU': before(2, 3), 'nk.nn.LSTM': before(2, 3),
  'nk.nn.Linear': before(2, 3),
  'nk.nn.MLP': inOpts({ inFeatures: 2, hidden: [], outFeatures: 1 }),
  'nk.nn.MultiheadAttention': before(4, 2),
  'nk.nn.TransformerBlock': inOpts({ dModel: 4, nHeads: 2 }),
  'nk.nn.CrossEntropyLoss': before(), 'nk.nn.MSELoss': before(), 'nk.nn.BCEWithLogitsLoss': before(), 'nk.nn.HuberLoss': before(),
  'nk.nn.L1Loss': before(), 'nk.nn.NLLLoss': before(), 'nk.nn.BCELoss': before(), 'nk.nn.SmoothL1Loss': before(),
  'nk.optim.SGD': (C: new (...a: unknown[]) => unknown) => new C([p()], BOGUS),
  'nk.optim.Adam': (C: new (...a: unknown[]) => unknown) => new C([p()], BOGUS),
  'nk.optim.AdamW': (C: new (...a: unknown[]) => unknown) => new C([p()], BOGUS),
  'nk.optim.StepLR': (C: new (...a: unknown[]) => unknown) => new C(new nk.optim.SGD([p()], { lr: 1 }), 2, BOGUS),
  'nk.optim.CosineAnnealingLR': (C: new (...a: unknown[]) => unknown) => new C(new nk.optim.SGD([p()], { lr: 1 }), 2, BOGUS),
  'nk.optim.OneCycleLR': (C: new (...a: unknown[]) => unknown) => new C(new nk.optim.SGD([p()], { lr: 1 }), 1, { totalSteps: 10, ...BOGUS }),
  'nk.optim.LinearLR': (C: new (...a: unknown[]) => unknown) => new C(new nk.optim.SGD([p()], { lr: 1 }), BOGUS),
});

/** Public classes that take no options object, with the reason. */
const NO_OPTIONS: Record<string, string> = {
  'nk.Tensor': 'data container (options live on nk.tensor)',
  'nk.Rng': 'seeded generator, positional seed',
  'nk.RunningMoments': 'internal accumulator, positional group count',
  'nk.Module': 'abstract base', 'nk.nn.Module': 'abstract base', 'nk.NormLayer': 'abstract base', 'nk.nn.Layer': 'abstract base',
  'nk.nn.Sequential': 'takes modules (a non-module argument throws TypeError)',
  'nk.nn.ModuleList': 'takes modules',
  'nk.nn.MLPBlock': 'internal building block of MLP, positional arguments only',
  'nk.optim.Optimizer': 'abstract base',
  'nk.optim.LRScheduler': 'abstract base',
};

test('every public constructor refuses an unknown option with a TypeError naming it and the accepted ones', () => {
  const seen: string[] = [];
  for (const [ns, obj] of [['nk', nk], ['nk.nn', nk.nn], ['nk.optim', nk.optim]] as const) {
    for (const [name, C] of Object.entries(obj)) {
      if (!isClass(C)) continue;
      const key = `${ns}.${name}`;
      if (NO_OPTIONS[key]) continue;
      const call = CALLS[key];
      assert.ok(call, `${key}: a public class with no entry in this test; add how to construct it with options`);
      seen.push(key);
      assert.throws(() => call(C), (e: unknown) => {
        assert.ok(e instanceof TypeError, `${key}: expected a TypeError, got ${String(e)}`);
        assert.match((e as Error).message, /bogus_option/, `${key}: message must name the option`);
        assert.match((e as Error).message, /accepted options/, `${key}: message must list the accepted options`);
        return true;
      }, `${key} accepted a bogus option`);
    }
  }
  assert.ok(seen.length >= 40, `walked only ${seen.length} constructors`);
});

test('functional ops with an options object refuse unknown keys', () => {
  const x = nk.randn([1, 2, 4, 4]);
  const w = nk.randn([2, 2, 3, 3]);
  const calls: [string, () => unknown][] = [
    ['conv2d', () => nk.F.conv2d(x, w, null, BOGUS as never)],
    ['maxPool2d', () => nk.F.maxPool2d(x, 2, 2, 0, BOGUS as never)],
    ['avgPool2d', () => nk.F.avgPool2d(x, 2, 2, 0, BOGUS as never)],
    ['gelu', () => nk.F.gelu(x, BOGUS as never)],
    ['normalize', () => nk.F.normalize(x, BOGUS as never)],
    ['batchNorm', () => nk.F.batchNorm(x, null, null, null, null, true, 0.1, 1e-5, BOGUS as never)],
    ['adaNorm', () => nk.F.adaNorm(nk.randn([2, 4]), BOGUS as never)],
    ['crossEntropy', () => nk.F.crossEntropy(nk.randn([2, 3]), [0, 1], BOGUS as never)],
    ['mseLoss', () => nk.F.mseLoss(nk.randn([2]), nk.randn([2]), BOGUS as never)],
    ['weightNorm', () => nk.weightNorm(new nk.nn.Linear(2, 2), BOGUS as never)],
    ['spectralNorm', () => nk.spectralNorm(new nk.nn.Linear(2, 2), BOGUS as never)],
    ['makeNorm', () => nk.nn.makeNorm('layernorm', 4, BOGUS as never)],
    ['saveSafetensors', () => nk.io.saveSafetensors({}, BOGUS as never)],
    ['schedules.cosine', () => nk.optim.schedules.cosine(10, BOGUS as never)],
    ['onnx.exportModel', () => nk.onnx.exportModel(new nk.nn.Linear(2, 2), nk.randn([1, 2]), BOGUS as never)],
  ];
  for (const [name, f] of calls) {
    assert.throws(f, (e: unknown) => e instanceof TypeError && /bogus_option/.test((e as Error).message), `${name} accepted a bogus option`);
  }
});

test('snake_case PyTorch keywords get a TypeError suggesting the camelCase name', () => {
  assert.throws(() => new nk.LayerNorm(4, { elementwise_affine: false } as never),
    /LayerNorm: unknown option 'elementwise_affine' \(did you mean 'elementwiseAffine'\?.*accepted options: 'eps', 'elementwiseAffine'/);
  assert.throws(() => new nk.BatchNorm2d(4, { track_running_stats: false } as never), /did you mean 'trackRunningStats'/);
  assert.throws(() => new nk.nn.Conv2d(2, 2, 3, { padding_mode: 'zeros' } as never), /did you mean 'paddingMode'/);
  assert.throws(() => new nk.optim.AdamW([p()], { weight_decay: 0.1 } as never), /did you mean 'weightDecay'/);
  // getConfig() output still round-trips (positional values echoed in the options are accepted when equal)
  const bn = new nk.BatchNorm1d(8, { bias: false });
  assert.deepEqual(new nk.BatchNorm1d(8, bn.getConfig()).getConfig(), bn.getConfig());
  assert.throws(() => new nk.BatchNorm1d(4, bn.getConfig()), /numFeatures=8 contradicts the positional argument 4/);
  // unsupported PyTorch options are named, not ignored
  assert.throws(() => new nk.nn.Conv2d(2, 2, 3, { paddingMode: 'reflect' } as never), /paddingMode="reflect" is not supported/);
  assert.throws(() => new nk.nn.Embedding(4, 2, { sparse: true }), /sparse=true is not supported/);
  assert.throws(() => new nk.nn.MaxPool2d(2, { dilation: 2 }), /dilation=2 is not supported/);
});

test('tensor creation functions refuse unknown options, naming them', () => {
  assert.throws(() => nk.tensor([1, 2], null, { dtyp: 'float64' } as never), /tensor: unknown option 'dtyp'; accepted options: 'dtype', 'requiresGrad'/);
  assert.throws(() => nk.zeros([2], { requires_grad: true } as never), /zeros: unknown option 'requires_grad' \(did you mean 'requiresGrad'\?/);
  assert.throws(() => nk.ones([2], { device: 'cpu' } as never), /ones: unknown option 'device'/);
  assert.throws(() => nk.full([2], 3, { rng: new nk.Rng(1) } as never), /full: unknown option 'rng'/);
  assert.throws(() => nk.randn([2], { seed: 1 } as never), /randn: unknown option 'seed'; accepted options: 'dtype', 'requiresGrad', 'rng'/);
  assert.throws(() => nk.rand([2], { generator: null } as never), /rand: unknown option 'generator'/);
  assert.throws(() => nk.arange(3, { step: 2 } as never), /arange: unknown option 'step'/);
  // the accepted ones still work
  assert.equal(nk.randn([3], { dtype: 'float64', rng: new nk.Rng(2), requiresGrad: true }).requiresGrad, true);
  assert.equal(nk.tensor([1, 2], null, { dtype: 'float64' }).dtype, 'float64');
});
