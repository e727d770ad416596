/**
 * DataParallel.create refuses bad options before starting any worker, each
 * error naming the option and the value received.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

const REPLICA = new URL('./fixtures/replica.js', import.meta.url);
const create = (o: object) => nk.parallel.DataParallel.create({ replica: REPLICA, options: { norm: 'none', seed: 1 }, ...o } as nk.parallel.DataParallelOptions);

test('DataParallel.create: every bad option is refused with its name and value', async () => {
  await assert.rejects(create({ workers: 1.5 }), /workers must be a positive integer, got 1.5/);
  await assert.rejects(create({ workers: -1 }), /workers must be a positive integer, got -1/);
  await assert.rejects(create({ timeoutMs: 0 }), /timeoutMs must be a positive number of milliseconds, got 0/);
  await assert.rejects(create({ timeoutMs: Number.NaN }), /timeoutMs must be a positive number of milliseconds, got NaN/);
  await assert.rejects(create({ exportName: '' }), /exportName must be a non-empty string, got /);
  await assert.rejects(create({ replica: 42 }), /replica must be a module URL, got number/);
  await assert.rejects(create({ options: { norm: 'none', seed: 1, onStep: () => 0 } }), /options must be structured-cloneable .*could not be cloned/);
  await assert.rejects(create({ worldSize: 2 }), /worldSize/, 'PyTorch-style names are not silently ignored');
  await assert.rejects(create({ replica: new URL('./fixtures/missing.js', import.meta.url) }), /missing\.js/);
});

test('DataParallel.create: a factory must return { module: a normkit Module, loss: a function }', async () => {
  const bad = new URL('./fixtures/bad-replica.js', import.meta.url);
  const make = (exportName: string) => nk.parallel.DataParallel.create({ replica: bad, exportName, workers: 1 });
  await assert.rejects(make('noModule'), /noModule\(\) must return \{ module, loss \} with module a normkit Module .*got no module/);
  await assert.rejects(make('plainObject'), /plainObject\(\) must return .*got \[object Object\]/);
  await assert.rejects(make('noLoss'), /noLoss\(\) must return \{ module, loss \} with loss\(module, x, y\) a function, got undefined/);
});
