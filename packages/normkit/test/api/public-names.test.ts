/**
 * The public names promised by the brief's API.md, checked on the package as
 * users import it (`import * as nk from 'normkit'`, the package's own
 * `exports` self-reference). Outside checks call these names: renaming one
 * must fail here first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Src from '../../src/index.js';

// Loaded by name at run time (tsc must not resolve it: on a fresh clone the
// package's declaration files do not exist before the first build).
const PKG: string = 'normkit';
const nk = (await import(PKG)) as typeof Src;

const has = (obj: unknown, path: string) => {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur === null || cur === undefined) return false;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur !== undefined;
};

test('top-level names of API.md exist', () => {
  const names = [
    'tensor', 'fromArray', 'tidy', 'keep', 'dispose', 'memory', 'zeros', 'ones', 'randn', 'rand', 'manualSeed', 'noGrad', 'Module', 'Tensor',
    'LayerNorm', 'RMSNorm', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'GroupNorm', 'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d',
    'LocalResponseNorm', 'DyT', 'weightNorm', 'spectralNorm', 'functional', 'F', 'nn', 'optim',
    'Normalization', 'StandardScaler', 'MinMaxScaler', 'RobustScaler', 'MaxAbsScaler', 'Normalizer',
    'io.saveSafetensors', 'io.loadSafetensors', 'onnx.exportModel', 'setBackend', 'getBackend',
  ];
  for (const n of names) assert.ok(has(nk, n), `nk.${n} is missing`);
});

test('functional (nk.functional and its alias nk.F) has every API.md op', () => {
  assert.equal(nk.F, nk.functional);
  for (const n of ['layerNorm', 'rmsNorm', 'batchNorm', 'groupNorm', 'instanceNorm', 'normalize', 'softmax', 'logSoftmax', 'crossEntropy', 'mseLoss']) {
    assert.equal(typeof (nk.F as Record<string, unknown>)[n], 'function', `nk.F.${n}`);
  }
});

test('nn and optim have every API.md name', () => {
  for (const n of ['Linear', 'Embedding', 'Conv2d', 'Sequential', 'ReLU', 'GELU', 'Tanh', 'Sigmoid', 'Dropout', 'MultiheadAttention', 'TransformerBlock', 'GRUCell', 'LSTMCell', 'MLP']) {
    assert.equal(typeof (nk.nn as Record<string, unknown>)[n], 'function', `nk.nn.${n}`);
  }
  for (const n of ['SGD', 'Adam', 'AdamW', 'clipGradNorm', 'schedules.constant', 'schedules.linearWarmup', 'schedules.inverseSqrt', 'schedules.cosine']) {
    assert.ok(has(nk.optim, n), `nk.optim.${n}`);
  }
});

test('Tensor and Module members of API.md behave as documented', () => {
  const t = nk.tensor([[1, 2], [3, 4]], null, { dtype: 'float64', requiresGrad: true });
  assert.deepEqual(t.shape, [2, 2]);
  assert.equal(t.dtype, 'float64');
  assert.ok(t.data instanceof Float64Array);
  nk.sum(t).backward();
  assert.deepEqual(t.grad!.toArray(), [[1, 1], [1, 1]]);
  assert.equal(nk.tensor([5]).item(), 5);
  const bn = new nk.BatchNorm1d(3);
  for (const m of ['forward', 'parameters', 'namedParameters', 'buffers', 'stateDict', 'loadStateDict', 'train', 'eval', 'toString']) {
    assert.equal(typeof (bn as unknown as Record<string, unknown>)[m], 'function', `Module.${m}`);
  }
  assert.equal(bn.training, true);
  assert.deepEqual(Object.keys(bn.stateDict()), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  for (const p of ['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']) assert.ok(p in bn, `BatchNorm1d.${p}`);
  const ln = new nk.LayerNorm([4], { elementwiseAffine: false });
  assert.equal(ln.weight, null);
  assert.equal(ln.runningMean, null);
  assert.equal(ln.numBatchesTracked, 0);
});

test('round two: SyncBatchNorm with convertSyncBatchnorm, and data-parallel training under nk.parallel and normkit/parallel', async () => {
  assert.equal(typeof nk.SyncBatchNorm, 'function');
  assert.equal(typeof nk.SyncBatchNorm.convertSyncBatchnorm, 'function');
  assert.equal(typeof nk.SyncBatchNorm.convert_sync_batchnorm, 'function', "PyTorch's name as an alias");
  assert.ok(new nk.SyncBatchNorm(3) instanceof nk.BatchNorm);
  for (const n of ['DataParallel', 'getProcessGroup', 'setProcessGroup', 'SharedProcessGroup', 'createGroupBuffer', 'shardSizes']) {
    assert.ok(has(nk.parallel, n), `nk.parallel.${n}`);
  }
  assert.equal(typeof nk.parallel.DataParallel.create, 'function');
  const sub = (await import(`${PKG}/parallel`)) as typeof Src.parallel;
  assert.equal(sub.DataParallel, nk.parallel.DataParallel, "'normkit/parallel' is the same module as nk.parallel");
});
