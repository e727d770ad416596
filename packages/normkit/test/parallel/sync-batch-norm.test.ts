/**
 * SyncBatchNorm across real worker threads equals one BatchNorm on the
 * concatenated batch: output, dx, dweight and dbias (the ranks' local
 * parameter gradients summed, as DataParallel does) and the running
 * statistics, in float64 to ~1e-12 and float32 to ~1e-5, for 1, 2 and 3
 * ranks with uneven splits (shards of a single row included: only the
 * global count must exceed 1). Also: its errors across ranks, the fallback
 * to BatchNorm, and convertSyncBatchnorm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import * as nk from '../../src/index.js';
import { maxDiff } from '../helpers.js';
import type { SyncBnCase, SyncBnReply } from './fixtures/sync-bn-worker.js';

const WORKER = new URL('./fixtures/sync-bn-worker.js', import.meta.url);

/** N worker ranks in one fresh process group; `run` sends each rank its case and waits for all answers. */
async function startRanks(N: number): Promise<{ run(cases: SyncBnCase[]): Promise<SyncBnReply[]>; stop(): Promise<void> }> {
  const group = nk.parallel.createGroupBuffer(N, 4096);
  const workers = Array.from({ length: N }, (_, rank) => new Worker(WORKER, { workerData: { group, rank, worldSize: N } }));
  // a test that times out must not leave its workers holding the process open
  for (const w of workers) w.unref();
  await Promise.all(workers.map((w) => new Promise<void>((res, rej) => { w.once('message', () => res()); w.once('error', rej); })));
  return {
    run: (cases) => Promise.all(workers.map((w, k) => new Promise<SyncBnReply>((res, rej) => {
      w.once('message', res);
      w.once('error', rej);
      w.postMessage(cases[k]);
    }))),
    stop: async () => { await Promise.all(workers.map((w) => w.terminate())); },
  };
}

/** A seeded array of n values: randn * scale + shift, rounded to the dtype. */
function values(n: number, seed: number, dtype: nk.DType, shift = 0, scale = 1): Float32Array | Float64Array {
  const t = nk.randn([n], { dtype, rng: new nk.Rng(seed) });
  for (let i = 0; i < n; i++) t.data[i] = t.data[i]! * scale + shift;
  return t.data.slice();
}

interface Setup { dtype: nk.DType; shape: number[]; shift: number; momentum: number | null; steps: number }

/** The whole batch through one BatchNorm (channels at dim 1) in this thread. */
function reference(s: Setup, x: Float32Array | Float64Array, dy: Float32Array | Float64Array, weight: number[], bias: number[]) {
  const C = s.shape[1]!;
  const bn = new nk.BatchNorm(C, { dtype: s.dtype, momentum: s.momentum, eps: 1e-5 });
  bn.weight!.data.set(weight);
  bn.bias!.data.set(bias);
  let xt: nk.Tensor | null = null;
  let y: nk.Tensor | null = null;
  for (let k = 0; k < s.steps; k++) {
    xt = nk.tensor(x, s.shape, { dtype: s.dtype, requiresGrad: true });
    y = bn.forward(xt);
  }
  y!.backward(nk.tensor(dy, s.shape, { dtype: s.dtype }));
  return {
    y: y!.toList(), dx: xt!.grad!.toList(), dweight: bn.weight!.grad!.toList(), dbias: bn.bias!.grad!.toList(),
    runningMean: bn.runningMean!.toList(), runningVar: bn.runningVar!.toList(), numBatchesTracked: bn.numBatchesTracked,
  };
}

/** |a - b| <= tol * (1 + |b|) everywhere, naming the worst element. */
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const d = maxDiff(a, b);
  const i = d.at;
  assert.ok(i < 0 || Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}: worst at [${i}]: ${a[i]} vs ${b[i]} (abs diff ${d.abs})`);
  for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j]! - b[j]!) <= tol * (1 + Math.abs(b[j]!)), `${what}[${j}]: ${a[j]} vs ${b[j]}`);
}

const SETUPS: Setup[] = [
  { dtype: 'float64', shape: [7, 3], shift: 0, momentum: 0.1, steps: 1 },
  { dtype: 'float64', shape: [5, 4, 6], shift: 3, momentum: null, steps: 2 },
  { dtype: 'float64', shape: [4, 2, 3, 3], shift: 1e4, momentum: 0.3, steps: 1 },
  { dtype: 'float32', shape: [7, 3], shift: 0, momentum: 0.1, steps: 2 },
  { dtype: 'float32', shape: [5, 4, 20], shift: -2, momentum: 0.1, steps: 1 },
  { dtype: 'float32', shape: [4, 2, 3, 3], shift: 1e3, momentum: null, steps: 1 },
];

for (const N of [1, 2, 3]) {
  test(`SyncBatchNorm over ${N} worker rank${N > 1 ? 's' : ''} (uneven shards) equals one BatchNorm on the whole batch: y, dx, dweight, dbias, running stats [js, wasm]`, async () => {
    const ranks = await startRanks(N);
    const prev = nk.getBackend();
    try {
      for (const backend of ['js', 'wasm'] as const) for (const [si, s] of SETUPS.entries()) {
        nk.setBackend(backend);
        const B = s.shape[0]!;
        const C = s.shape[1]!;
        const per = s.shape.slice(1).reduce((a, b) => a * b, 1);
        const x = values(B * per, 10 + si, s.dtype, s.shift);
        const dy = values(B * per, 50 + si, s.dtype);
        const weight = Array.from(values(C, 90 + si, 'float64', 1, 0.3));
        const bias = Array.from(values(C, 95 + si, 'float64'));
        const ref = reference(s, x, dy, weight, bias);
        const sizes = nk.parallel.shardSizes(B, N);
        let r0 = 0;
        const cases = sizes.map((n): SyncBnCase => {
          const c: SyncBnCase = {
            backend, dtype: s.dtype, C, shape: [n, ...s.shape.slice(1)], x: x.slice(r0 * per, (r0 + n) * per), dy: dy.slice(r0 * per, (r0 + n) * per),
            weight, bias, momentum: s.momentum, eps: 1e-5, steps: s.steps,
          };
          r0 += n;
          return c;
        });
        const replies = await ranks.run(cases);
        const ok = replies.map((r, k) => {
          if (!r.ok) assert.fail(`rank ${k} threw: ${r.message}`);
          return r;
        });
        const tol = s.dtype === 'float64' ? 1e-12 : 1e-5;
        const what = `[${backend}] ${s.dtype} ${JSON.stringify(s.shape)} + ${s.shift} over ${N} (${sizes.join(' + ')} rows)`;
        close(ok.flatMap((r) => r.y), ref.y, tol, `${what}: y`);
        close(ok.flatMap((r) => r.dx), ref.dx, tol, `${what}: dx`);
        // each rank's dweight/dbias is its shard's part (PyTorch: DDP sums them); summed in rank order
        const sum = (key: 'dweight' | 'dbias') => ref[key].map((_, c) => ok.reduce((acc, r) => acc + r[key][c]!, 0));
        close(sum('dweight'), ref.dweight, tol, `${what}: dweight (sum over ranks)`);
        close(sum('dbias'), ref.dbias, tol, `${what}: dbias (sum over ranks)`);
        for (const [k, r] of ok.entries()) {
          // the unbiased variance of the global batch, identical on every rank
          close(r.runningMean, ref.runningMean, tol, `${what}: rank ${k} running_mean`);
          close(r.runningVar, ref.runningVar, tol, `${what}: rank ${k} running_var`);
          assert.equal(r.numBatchesTracked, ref.numBatchesTracked);
          assert.deepEqual(r.runningVar, ok[0]!.runningVar, 'every rank holds the same bits');
        }
      }
    } finally {
      nk.setBackend(prev);
      await ranks.stop();
    }
  });
}

test('SyncBatchNorm counts values over every rank: single-row shards are fine, one value in all is refused on every rank', async () => {
  const ranks = await startRanks(3);
  try {
    // 4 rows over 3 ranks: two ranks see one row each ([1, C]), which BatchNorm alone would refuse
    const base = { dtype: 'float64' as const, C: 2, weight: [1, 1], bias: [0, 0], momentum: 0.1, eps: 1e-5, steps: 1 };
    const x = values(8, 3, 'float64');
    const cases = [[0, 2], [2, 3], [3, 4]].map(([a, b]) => ({ ...base, shape: [b! - a!, 2], x: x.slice(a! * 2, b! * 2), dy: x.slice(a! * 2, b! * 2) }));
    const r = await ranks.run(cases);
    assert.ok(r.every((q) => q.ok), JSON.stringify(r));
  } finally {
    await ranks.stop();
  }
  const two = await startRanks(2);
  try {
    const base = { dtype: 'float64' as const, C: 2, weight: [1, 1], bias: [0, 0], momentum: 0.1, eps: 1e-5, steps: 1 };
    const r = await two.run([
      { ...base, shape: [1, 2], x: new Float64Array([1, 2]), dy: new Float64Array(2) },
      { ...base, shape: [0, 2], x: new Float64Array(0), dy: new Float64Array(0) },
    ]);
    for (const [k, q] of r.entries()) {
      assert.ok(!q.ok, `rank ${k} should refuse`);
      assert.match(q.message, /expected more than 1 value per channel when training, got 1 over the 2 replicas/, `rank ${k}`);
    }
  } finally {
    await two.stop();
  }
});

test('a rank that fails (wrong channel count) aborts the group: the others stop waiting and say which rank failed', async () => {
  const ranks = await startRanks(2);
  try {
    const base = { dtype: 'float32' as const, C: 3, weight: [1, 1, 1], bias: [0, 0, 0], momentum: 0.1, eps: 1e-5, steps: 1 };
    const t0 = Date.now();
    const r = await ranks.run([
      { ...base, shape: [2, 3], x: new Float32Array(6).fill(1), dy: new Float32Array(6) },
      { ...base, shape: [2, 4], x: new Float32Array(8), dy: new Float32Array(8) },
    ]);
    assert.ok(Date.now() - t0 < 10_000, 'rank 0 must not wait for the barrier timeout');
    assert.ok(!r[1]!.ok && /expected input with 3 channels at dim 1 \(numFeatures=3\), got 4 in input of shape \[2, 4\]/.test(r[1]!.message), JSON.stringify(r[1]));
    assert.ok(!r[0]!.ok && /process group aborted: replica 1 failed/.test(r[0]!.message), JSON.stringify(r[0]));
  } finally {
    await ranks.stop();
  }
});

test('SyncBatchNorm is BatchNorm in evaluation, without running stats in evaluation, and with no group (same bits)', () => {
  for (const trackRunningStats of [true, false]) {
    const x = nk.randn([6, 3, 4], { rng: new nk.Rng(4), dtype: 'float64' });
    const bn = new nk.BatchNorm1d(3, { trackRunningStats, dtype: 'float64' });
    const sbn = new nk.SyncBatchNorm(3, { trackRunningStats, dtype: 'float64' });
    const xa = x.clone().requiresGrad_();
    const xb = x.clone().requiresGrad_();
    const ya = bn.forward(xa);
    const yb = sbn.forward(xb);
    assert.deepEqual(yb.data, ya.data);
    nk.sum(nk.mul(ya, ya)).backward();
    nk.sum(nk.mul(yb, yb)).backward();
    assert.deepEqual(xb.grad!.data, xa.grad!.data);
    assert.deepEqual(sbn.weight!.grad!.data, bn.weight!.grad!.data);
    bn.eval();
    sbn.eval();
    // in a group of two, evaluation needs no exchange (it would block here: no other rank exists)
    nk.parallel.setProcessGroup(new nk.parallel.SharedProcessGroup(nk.parallel.createGroupBuffer(2, 16), 0, 2, 100));
    try {
      assert.deepEqual(sbn.forward(x).data, bn.forward(x).data);
    } finally {
      nk.parallel.setProcessGroup(null);
    }
  }
});

test('SyncBatchNorm: PyTorch state-dict names, toString, getConfig round trip, strict options', () => {
  const s = new nk.SyncBatchNorm(4, { eps: 1e-3, momentum: null });
  assert.deepEqual(Object.keys(s.stateDict()), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  assert.match(String(s), /^SyncBatchNorm\(4, eps=0.001, momentum=null, affine=true, trackRunningStats=true/);
  const c = s.getConfig();
  const again = new nk.SyncBatchNorm(c.numFeatures, c);
  assert.deepEqual(again.getConfig(), c);
  assert.throws(() => new nk.SyncBatchNorm(4, { process_group: 1 } as never), /process_group/);
  assert.throws(() => new nk.SyncBatchNorm(0), /numFeatures must be a positive integer, got 0/);
});

test('convertSyncBatchnorm: nested BatchNorm1d/2d in Sequential and fields, keeping tensors, options, frozen flags, and train/eval per layer', () => {
  class Block extends nk.Module {
    readonly conv = this.registerModule('conv', new nk.nn.Conv2d(2, 3, 3, { padding: 1 }));
    readonly bn = this.registerModule('bn', new nk.BatchNorm2d(3, { eps: 1e-3, momentum: 0.2, affine: true }));
    forward(x: nk.Tensor): nk.Tensor { return this.bn.forward(this.conv.forward(x)); }
  }
  const block = new Block();
  const head = new nk.BatchNorm1d(5, { trackRunningStats: false });
  const net = new nk.nn.Sequential(block as unknown as nk.nn.Linear, new nk.nn.Flatten(), new nk.nn.Linear(48, 5), head);
  // state to keep: trained running stats, a frozen weight, mixed modes
  nk.noGrad(() => net.forward(nk.randn([4, 2, 4, 4])));
  block.bn.weight!.requiresGrad = false;
  head.eval();
  const rm = block.bn.runningMean!;
  const before = { rm: rm.data.slice(), nbt: block.bn.numBatchesTracked, w: block.bn.weight! };
  const out = nk.SyncBatchNorm.convertSyncBatchnorm(net);
  assert.equal(out, net);
  const sbn = block.bn as unknown as nk.SyncBatchNorm;
  assert.ok(sbn instanceof nk.SyncBatchNorm, 'the field of the parent points at the new layer');
  assert.ok(net.at(3) instanceof nk.SyncBatchNorm, 'the Sequential runs the new layer');
  assert.equal(sbn.runningMean, rm, 'same buffer tensor');
  assert.deepEqual(sbn.runningMean!.data, before.rm);
  assert.equal(sbn.numBatchesTracked, before.nbt);
  assert.equal(sbn.weight, before.w, 'same parameter tensor');
  assert.equal(sbn.weight!.requiresGrad, false, 'a frozen weight stays frozen');
  assert.equal(sbn.eps, 1e-3);
  assert.equal(sbn.momentum, 0.2);
  assert.equal(sbn.training, true);
  const h = net.at(3) as unknown as nk.SyncBatchNorm;
  assert.equal(h.training, false, 'eval mode kept');
  assert.equal(h.trackRunningStats, false);
  assert.equal(h.runningMean, null);
  // already synchronized layers and other modules are left alone
  assert.equal(nk.SyncBatchNorm.convertSyncBatchnorm(h), h);
  const ln = new nk.LayerNorm([3]);
  assert.equal(nk.SyncBatchNorm.convertSyncBatchnorm(ln), ln);
});
