/**
 * DataParallel's workers are real threads of this process: they exist only
 * between create() and close() (or a failure), counted at the OS level
 * (/proc/self/status), and the README's replica module is the fixture the
 * README example runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as nk from '../../src/index.js';
import type { NetOptions } from './fixtures/replica.js';
import { noProc, settleTo, threads } from './fixtures/os-threads.js';

const REPLICA = new URL('./fixtures/replica.js', import.meta.url);

test('workers are threads that exist between create() and close()', { skip: noProc }, async () => {
  const before = threads();
  const dp = await nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'syncbatchnorm', seed: 1 } satisfies NetOptions, workers: 3 });
  assert.ok(threads() >= before + 3, `3 worker threads expected: ${before} before, ${threads()} after create()`);
  const x = nk.randn([6, 6], { rng: new nk.Rng(1) });
  await dp.forwardBackward(x, Int32Array.from([0, 1, 2, 0, 1, 2]));
  assert.equal(dp.closed, false);
  await dp.close();
  assert.equal(dp.closed, true);
  assert.ok(await settleTo(before) <= before, `threads left after close(): ${threads()} vs ${before} before create()`);
  await dp.close(); // idempotent
});

test('a replica that throws: the step rejects naming the rank and message, with no worker thread left running', { skip: noProc }, async () => {
  const before = threads();
  const dp = await nk.parallel.DataParallel.create({
    replica: REPLICA, options: { norm: 'syncbatchnorm', seed: 1, throwOnRank: 2, throwAtStep: 1 } satisfies NetOptions, workers: 3,
  });
  assert.ok(threads() >= before + 3);
  const x = nk.randn([7, 6], { rng: new nk.Rng(2) });
  const y = Int32Array.from({ length: 7 }, (_, i) => i % 3);
  // ranks 0 and 1 are waiting for rank 2 in SyncBatchNorm's exchange when it throws: the group's abort frees them
  await assert.rejects(dp.forwardBackward(x, y), (e: Error) => {
    assert.match(e.message, /^DataParallel: replica 2 failed: boom at step 1$/);
    return true;
  });
  assert.equal(dp.closed, true);
  // the rejection comes after every worker has exited: no polling needed beyond the OS reaping the threads
  assert.ok(await settleTo(before) <= before, `threads left after the failure: ${threads()} vs ${before}`);
  await assert.rejects(dp.forwardBackward(x, y), /DataParallel is stopped after an earlier failure: DataParallel: replica 2 failed: boom at step 1/);
});

test('the README example\'s replica module is test/fixtures/parallel/replica.mjs, verbatim', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const fixture = readFileSync(`${root}test/fixtures/parallel/replica.mjs`, 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.includes(fixture), 'README.md should show test/fixtures/parallel/replica.mjs as a ```js block, unchanged');
});
