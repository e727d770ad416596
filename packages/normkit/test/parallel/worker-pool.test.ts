/**
 * WorkerPool: DataParallels built one after another in the same pool reuse
 * its worker threads (counted at the OS level, /proc/self/status) and train
 * exactly as in fresh workers; workers of a failed or interrupted step are
 * stopped, not pooled; idle pooled workers do not keep Node alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nk from '../../src/index.js';
import type { NetOptions } from './fixtures/replica.js';
import { noProc, settleTo, threads } from './fixtures/os-threads.js';

const REPLICA = new URL('./fixtures/replica.js', import.meta.url);

function batch(B: number, seed: number): { x: nk.Tensor; y: Int32Array } {
  const x = nk.randn([B, 6], { rng: new nk.Rng(seed) });
  return { x, y: Int32Array.from({ length: B }, (_, i) => (i * 5 + seed) % 3) };
}

/** Three SGD steps; the last step's gradients, the final parameters and the losses. */
async function train(o: NetOptions, workers: number, pool?: nk.parallel.WorkerPool) {
  const dp = await nk.parallel.DataParallel.create({ replica: REPLICA, options: o, workers, ...(pool ? { pool } : {}) });
  try {
    const opt = new nk.optim.SGD(dp.parameters(), { lr: 0.1, momentum: 0.9 });
    const losses: number[] = [];
    let grads: Float32Array[] = [];
    for (let s = 0; s < 3; s++) {
      const { x, y } = batch(7, 10 + s);
      opt.zeroGrad();
      losses.push(await dp.forwardBackward(x, y));
      grads = dp.parameters().map((p) => Float32Array.from(p.grad!.data));
      opt.step();
    }
    return { losses, grads, params: dp.parameters().map((p) => Float32Array.from(p.data)), buffers: dp.module.buffers().map((b) => Float32Array.from(b.data)) };
  } finally {
    await dp.close();
  }
}

test('DataParallels in one pool reuse its threads and train bit for bit as in fresh workers', { skip: noProc }, async () => {
  const before = threads();
  const pool = new nk.parallel.WorkerPool();
  try {
    const a = await train({ norm: 'batchnorm', seed: 1 }, 2, pool);
    assert.equal(pool.idleWorkers, 2, 'both workers are back in the pool after close()');
    assert.equal(pool.startedWorkers, 2);
    const pooledThreads = threads();
    assert.ok(pooledThreads >= before + 2, `the pooled workers are still threads: ${before} before, ${pooledThreads} now`);
    // another model (SyncBatchNorm over [N, C, L]) on three workers: two reused, one started
    const syncOpts: NetOptions = { norm: 'syncbatchnorm', spatial: true, seed: 3 };
    const b = await train(syncOpts, 3, pool);
    assert.equal(pool.startedWorkers, 3, 'only the third worker is new');
    assert.equal(pool.idleWorkers, 3);
    const c = await train({ norm: 'batchnorm', seed: 1 }, 2, pool);
    assert.equal(pool.startedWorkers, 3, 'nothing new started for the third DataParallel');
    // the same numbers as in workers started for the purpose
    const freshA = await train({ norm: 'batchnorm', seed: 1 }, 2);
    const freshB = await train(syncOpts, 3);
    for (const [got, want, what] of [[a, freshA, 'first'], [c, freshA, 'third'], [b, freshB, 'second']] as const) {
      assert.deepEqual(got.losses, want.losses, `${what} DataParallel's losses`);
      assert.deepEqual(got.grads, want.grads, `${what} DataParallel's gradients`);
      assert.deepEqual(got.params, want.params, `${what} DataParallel's parameters`);
      assert.deepEqual(got.buffers, want.buffers, `${what} DataParallel's buffers`);
    }
  } finally {
    await pool.close();
  }
  assert.equal(pool.idleWorkers, 0);
  assert.ok(await settleTo(before) <= before, `threads left after pool.close(): ${threads()} vs ${before} before`);
});

test('a failed step stops its workers instead of pooling them; the pool starts new ones for the next DataParallel', { skip: noProc }, async () => {
  const before = threads();
  const pool = new nk.parallel.WorkerPool();
  try {
    const dp = await nk.parallel.DataParallel.create({
      replica: REPLICA, options: { norm: 'syncbatchnorm', seed: 1, throwOnRank: 1, throwAtStep: 1 } satisfies NetOptions, workers: 2, pool,
    });
    const { x, y } = batch(4, 1);
    await assert.rejects(dp.forwardBackward(x, y), /^Error: DataParallel: replica 1 failed: boom at step 1$/);
    await dp.close();
    assert.equal(pool.idleWorkers, 0, 'workers of a failed step are not pooled');
    assert.ok(await settleTo(before) <= before, `threads left after the failure: ${threads()} vs ${before}`);
    // a factory that throws on this thread (it runs here first): no worker is taken or started
    await assert.rejects(
      nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1, throwInFactory: true } satisfies NetOptions, workers: 2, pool }),
      /factory refused/,
    );
    assert.equal(pool.startedWorkers, 2);
    const ok = await train({ norm: 'batchnorm', seed: 2 }, 2, pool);
    assert.ok(ok.losses.every(Number.isFinite));
    assert.equal(pool.startedWorkers, 4, 'two new workers after the failed step\'s two');
    assert.equal(pool.idleWorkers, 2);
    // warm workers that fail to build the next replica are stopped, not pooled again
    (globalThis as { normkitTestMain?: boolean }).normkitTestMain = true;
    try {
      await assert.rejects(
        nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1, throwInWorkers: true } satisfies NetOptions, workers: 2, pool }),
        /^Error: DataParallel: replica [01] failed to start: factory refused in a worker$/,
      );
    } finally {
      delete (globalThis as { normkitTestMain?: boolean }).normkitTestMain;
    }
    assert.equal(pool.idleWorkers, 0);
    assert.ok(await settleTo(before) <= before, `threads left after the failed start: ${threads()} vs ${before}`);
    await train({ norm: 'none', seed: 4 }, 1, pool);
    assert.equal(pool.startedWorkers, 5);
    assert.equal(pool.idleWorkers, 1);
  } finally {
    await pool.close();
  }
  assert.ok(await settleTo(before) <= before, `threads left after pool.close(): ${threads()} vs ${before}`);
});

test('close() during a step stops the workers even with a pool (a replica may be waiting in a collective)', { skip: noProc }, async () => {
  const before = threads();
  const pool = new nk.parallel.WorkerPool();
  try {
    const dp = await nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'syncbatchnorm', seed: 1 } satisfies NetOptions, workers: 2, pool });
    const { x, y } = batch(6, 2);
    const step = dp.forwardBackward(x, y);
    await dp.close();
    await assert.rejects(step, /DataParallel was closed during the step/);
    assert.equal(pool.idleWorkers, 0);
  } finally {
    await pool.close();
  }
  assert.ok(await settleTo(before) <= before, `threads left: ${threads()} vs ${before}`);
});

test('a closed pool, or something else passed as pool, is refused by name', async () => {
  const pool = new nk.parallel.WorkerPool();
  await pool.close();
  assert.equal(pool.closed, true);
  await assert.rejects(nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1 }, pool }), /the WorkerPool passed as pool is closed/);
  await assert.rejects(
    nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1 }, pool: {} as nk.parallel.WorkerPool }),
    /pool must be a parallel\.WorkerPool, got \[object Object\]/,
  );
  await pool.close(); // idempotent
});

test('idle pooled workers do not keep Node running: a script that never closes its pool exits on its own', () => {
  const index = new URL('../../src/index.js', import.meta.url).href;
  const script = `
    import * as nk from ${JSON.stringify(index)};
    const pool = new nk.parallel.WorkerPool();
    const dp = await nk.parallel.DataParallel.create({ replica: new URL(${JSON.stringify(REPLICA.href)}), options: { norm: 'batchnorm', seed: 1 }, workers: 2, pool });
    await dp.forwardBackward(nk.randn([4, 6]), [0, 1, 2, 0]);
    await dp.close();
    console.log('idle', pool.idleWorkers);
  `;
  // a file, not -e: worker threads inherit the parent's flags, and --input-type is refused there
  const dir = mkdtempSync(join(tmpdir(), 'normkit-pool-'));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.signal, null, `the script was killed after 30 s: the idle workers kept it alive (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'idle 2');
});
