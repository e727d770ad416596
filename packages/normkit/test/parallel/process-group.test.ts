/**
 * The shared-memory process group across real worker threads: all-gather
 * and all-reduce are exact and in rank order, messages longer than a slot
 * travel in chunks, ranks that disagree on a length all fail together, and
 * the barrier holds everyone until the last rank arrives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import * as nk from '../../src/index.js';

const WORKER = new URL('./fixtures/pg-worker.js', import.meta.url);
type Reply = { ok: true; value: unknown } | { ok: false; message: string };

async function ranks(N: number, capacity: number) {
  const group = nk.parallel.createGroupBuffer(N, capacity);
  const ws = Array.from({ length: N }, (_, rank) => new Worker(WORKER, { workerData: { group, rank, worldSize: N } }));
  // a test that times out must not leave its workers holding the process open
  for (const w of ws) w.unref();
  await Promise.all(ws.map((w) => new Promise((res, rej) => { w.once('message', res); w.once('error', rej); })));
  const ask = (msg: object, delayRank = -1, delayMs = 0) => Promise.all(ws.map((w, k) => new Promise<Reply>((res, rej) => {
    w.once('message', res);
    w.once('error', rej);
    if (k === delayRank) setTimeout(() => w.postMessage(msg), delayMs); else w.postMessage(msg);
  })));
  return { ask, stop: () => Promise.all(ws.map((w) => w.terminate())) };
}

const message = (rank: number, n: number) => Array.from({ length: n }, (_, i) => rank * 1000 + i + 0.1 * (rank + 1));

for (const [N, capacity, n] of [[3, 64, 10], [3, 4, 10], [2, 1, 5], [4, 3, 0]] as const) {
  test(`${N} ranks, slots of ${capacity}, messages of ${n}: allGather returns every rank's message, allReduceSum the rank-order sum, on every rank`, async () => {
    const g = await ranks(N, capacity);
    try {
      const gathered = await g.ask({ op: 'gather', n });
      const expected = Array.from({ length: N }, (_, r) => message(r, n));
      for (const [k, r] of gathered.entries()) {
        assert.ok(r.ok, JSON.stringify(r));
        assert.deepEqual(r.value, expected, `rank ${k}`);
      }
      const reduced = await g.ask({ op: 'reduce', n });
      // the sum in rank order 0, 1, ..., N-1, as the group promises (bits, not a tolerance)
      const sum = Array.from({ length: n }, (_, i) => expected.reduce((s, m, r) => (r === 0 ? m[i]! : s + m[i]!), 0));
      for (const [k, r] of reduced.entries()) {
        assert.ok(r.ok, JSON.stringify(r));
        assert.deepEqual(r.value, sum, `rank ${k}`);
      }
    } finally {
      await g.stop();
    }
  });
}

test('ranks passing different lengths all throw, naming the lengths, and the group stays usable', async () => {
  const g = await ranks(3, 4);
  try {
    const r = await g.ask({ op: 'reduce', n: 0, lengthByRank: [6, 6, 7] });
    for (const [k, q] of r.entries()) {
      assert.ok(!q.ok, `rank ${k} should throw`);
      assert.match(q.message, /process group allReduceSum: rank 2 passed 7 values and rank \d 6; every rank must pass the same length|rank 0 passed 6 values and rank 2 7/);
    }
    const again = await g.ask({ op: 'gather', n: 9 });
    assert.ok(again.every((q) => q.ok), JSON.stringify(again));
  } finally {
    await g.stop();
  }
});

test('the barrier releases no rank before the last one arrives', async () => {
  const g = await ranks(3, 4);
  try {
    const t0 = Date.now();
    const r = await g.ask({ op: 'barrier', n: 0 }, 2, 300);
    for (const q of r) {
      assert.ok(q.ok);
      assert.ok((q.value as number) - t0 >= 290, `a rank left the barrier after ${(q.value as number) - t0} ms, before rank 2 arrived (300 ms)`);
    }
  } finally {
    await g.stop();
  }
});

test('createGroupBuffer and SharedProcessGroup reject bad sizes and ranks, naming the value', () => {
  assert.throws(() => nk.parallel.createGroupBuffer(0, 4), /worldSize must be a positive integer, got 0/);
  assert.throws(() => nk.parallel.createGroupBuffer(2, 1.5), /capacity must be a positive integer, got 1.5/);
  const b = nk.parallel.createGroupBuffer(2, 4);
  assert.throws(() => new nk.parallel.SharedProcessGroup(b, 2, 2), /rank must be in \[0, 2\), got 2/);
  assert.equal(new nk.parallel.SharedProcessGroup(b, 1, 2).capacity, 4);
});
