/**
 * DataParallel and SyncBatchNorm (issue 15): exactness against one process on
 * the whole batch, determinism, failures, and the fallbacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { Net, type NetOptions } from './fixtures/replica.js';

const REPLICA = new URL('./fixtures/replica.js', import.meta.url);

function batch(B: number, seed: number): { x: nk.Tensor; y: Int32Array } {
  const rng = new nk.Rng(seed);
  const x = nk.randn([B, 6], { rng });
  const y = Int32Array.from({ length: B }, (_, i) => (i * 7 + seed) % 3);
  return { x, y };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

/** Single process on the whole batch: the same net, BatchNorm for SyncBatchNorm. */
function reference(o: NetOptions, steps: number, B: number): { params: Float32Array[]; grads: Float32Array[]; buffers: Float32Array[]; losses: number[] } {
  const net = new Net({ ...o, norm: o.norm === 'syncbatchnorm' ? 'batchnorm' : o.norm });
  // SGD: Adam would turn a zero gradient's rounding noise (a bias just before BatchNorm) into full-size steps
  const opt = new nk.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const losses: number[] = [];
  let grads: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    const { x, y } = batch(B, 100 + s);
    opt.zeroGrad();
    const l = nk.F.crossEntropy(net.forward(x), y);
    losses.push(l.item());
    l.backward();
    grads = net.parameters().map((p) => Float32Array.from(p.grad!.data));
    opt.step();
  }
  return { params: net.parameters().map((p) => Float32Array.from(p.data)), grads, buffers: net.buffers().map((b) => Float32Array.from(b.data)), losses };
}

async function parallelRun(o: NetOptions, workers: number, steps: number, B: number) {
  const dp = await nk.parallel.DataParallel.create({ replica: REPLICA, options: o, workers });
  try {
    const opt = new nk.optim.SGD(dp.parameters(), { lr: 0.1, momentum: 0.9 });
    const losses: number[] = [];
    let grads: Float32Array[] = [];
    for (let s = 0; s < steps; s++) {
      const { x, y } = batch(B, 100 + s);
      opt.zeroGrad();
      losses.push(await dp.forwardBackward(x, y));
      grads = dp.parameters().map((p) => Float32Array.from(p.grad!.data));
      opt.step();
    }
    return { params: dp.parameters().map((p) => Float32Array.from(p.data)), grads, buffers: dp.module.buffers().map((b) => Float32Array.from(b.data)), losses, stats: dp.lastStats };
  } finally {
    await dp.close();
  }
}

for (const [norm, spatial] of [['syncbatchnorm', false], ['syncbatchnorm', true], ['none', false]] as const) {
  for (const workers of [1, 2, 3]) {
    test(`DataParallel with ${norm}${spatial ? ' on [N, C, L]' : ''}, ${workers} workers, uneven split of 7 rows: 4 steps equal one process on the whole batch`, async () => {
      const o: NetOptions = { norm, spatial, seed: 5 };
      const ref = reference(o, 4, 7);
      const par = await parallelRun(o, workers, 4, 7);
      close(par.losses, ref.losses, 2e-6, 'loss');
      par.grads.forEach((g, i) => close(g, ref.grads[i]!, 2e-5, `last step's gradient of parameter ${i}`));
      par.params.forEach((p, i) => close(p, ref.params[i]!, 2e-5, `parameter ${i}`));
      par.buffers.forEach((b, i) => close(b, ref.buffers[i]!, 2e-5, `buffer ${i} (running statistics)`));
    });
  }
}

test('BatchNorm in each replica normalizes by its own shard (not the whole batch)', async () => {
  const o: NetOptions = { norm: 'batchnorm', seed: 5 };
  const ref = reference(o, 1, 8);
  const par = await parallelRun(o, 2, 1, 8);
  const diff = par.grads[0]!.reduce((s, v, i) => s + Math.abs(v - ref.grads[0]![i]!), 0);
  assert.ok(diff > 1e-3, `per-replica BatchNorm should differ from whole-batch statistics (diff ${diff})`);
});

test('DataParallel is deterministic: two runs give identical bits', async () => {
  const o: NetOptions = { norm: 'syncbatchnorm', seed: 9 };
  const a = await parallelRun(o, 3, 3, 10);
  const b = await parallelRun(o, 3, 3, 10);
  a.params.forEach((p, i) => assert.deepEqual(p, b.params[i]));
  assert.deepEqual(a.losses, b.losses);
  assert.ok(a.stats.syncMs >= 0 && a.stats.stepMs > 0 && a.stats.reduceMs >= 0);
});

test('a replica that throws fails the step with its error and rank, and stops every worker', async () => {
  const dp = await nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'syncbatchnorm', seed: 1, throwOnRank: 1, throwAtStep: 2 } satisfies NetOptions, workers: 3 });
  const { x, y } = batch(9, 1);
  await dp.forwardBackward(x, y);
  await assert.rejects(dp.forwardBackward(x, y), /DataParallel: replica 1 failed: boom at step 2/);
  await assert.rejects(dp.forwardBackward(x, y), /stopped after an earlier failure: DataParallel: replica 1 failed: boom at step 2/);
  // the test process exits only if no worker is left running (node:test waits for them)
});

test('a factory that throws rejects create(), naming the replica', async () => {
  await assert.rejects(nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1, throwInFactory: true } satisfies NetOptions, workers: 2 }), /factory refused/);
});

test('bad options and batches are rejected with the values named', async () => {
  await assert.rejects(nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1 }, workers: 0 }), /workers must be a positive integer, got 0/);
  await assert.rejects(nk.parallel.DataParallel.create({ replica: REPLICA, workers: 2, shards: 3 } as never), /shards/);
  await assert.rejects(nk.parallel.DataParallel.create({ replica: REPLICA, exportName: 'nope', workers: 1 }), /no exported function 'nope'/);
  const dp = await nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1 }, workers: 3 });
  try {
    const { x, y } = batch(2, 1);
    await assert.rejects(dp.forwardBackward(x, y), /a batch of 2 rows cannot be split over 3 workers/);
    const b = batch(6, 1);
    await assert.rejects(dp.forwardBackward(b.x, new Int32Array(7)), /y has 7 values, not a multiple of the batch's 6 rows/);
  } finally {
    await dp.close();
  }
  await assert.rejects(dp.forwardBackward(batch(6, 1).x, new Int32Array(6)), /DataParallel is closed/);
});

test('shardSizes splits rows contiguously, the first B mod N shards one larger', () => {
  assert.deepEqual(nk.parallel.shardSizes(7, 3), [3, 2, 2]);
  assert.deepEqual(nk.parallel.shardSizes(6, 3), [2, 2, 2]);
  assert.deepEqual(nk.parallel.shardSizes(5, 1), [5]);
});

test('SyncBatchNorm outside a group, or in a group of one, is exactly BatchNorm', () => {
  const x = nk.randn([5, 4, 3], { rng: new nk.Rng(2) });
  const bn = new nk.BatchNorm1d(4);
  const sbn = new nk.SyncBatchNorm(4);
  assert.deepEqual(sbn.forward(x).data, bn.forward(x).data);
  assert.deepEqual(sbn.runningVar!.data, bn.runningVar!.data);
  const g = new nk.parallel.SharedProcessGroup(nk.parallel.createGroupBuffer(1, 16), 0, 1);
  nk.parallel.setProcessGroup(g);
  try {
    assert.deepEqual(sbn.forward(x).data, bn.forward(x).data);
  } finally {
    nk.parallel.setProcessGroup(null);
  }
  sbn.eval();
  bn.eval();
  assert.deepEqual(sbn.forward(x).data, bn.forward(x).data);
  assert.deepEqual(Object.keys(sbn.stateDict()), Object.keys(bn.stateDict()));
  assert.throws(() => new nk.SyncBatchNorm(4).forward(nk.randn([4])), /expected at least 2D input \(got 1D input\)/);
  assert.throws(() => new nk.SyncBatchNorm(4, { axis: 2 }), /axis must be 1 or -1 \(channels at dim 1\), got 2/);
});

test('convertSyncBatchnorm replaces BatchNorm layers in place, keeping their tensors, options and mode', () => {
  const mlp = new nk.nn.MLP({ inFeatures: 4, hidden: [6, 6], outFeatures: 2, norm: 'batchnorm' });
  mlp.eval();
  const x = nk.randn([3, 4]);
  const before = mlp.forward(x).data.slice();
  const w = mlp.parameters();
  const sd = Object.keys(mlp.stateDict());
  const out = nk.SyncBatchNorm.convertSyncBatchnorm(mlp);
  assert.equal(out, mlp);
  const kinds = [...mlp.modules()].map((m) => m.constructor.name);
  assert.equal(kinds.filter((k) => k === 'SyncBatchNorm').length, 2, kinds.join(', '));
  assert.equal(kinds.filter((k) => k.startsWith('BatchNorm')).length, 0);
  assert.deepEqual(mlp.forward(x).data, before, 'the forward pass uses the converted layers');
  assert.deepEqual(mlp.parameters(), w, 'same parameter tensors');
  assert.deepEqual(Object.keys(mlp.stateDict()), sd, 'same state-dict names');
  const single = nk.SyncBatchNorm.convert_sync_batchnorm(new nk.BatchNorm2d(3, { eps: 1e-3, momentum: 0.2 }));
  assert.ok(single instanceof nk.SyncBatchNorm);
  assert.equal(single.eps, 1e-3);
  assert.equal(single.momentum, 0.2);
});
