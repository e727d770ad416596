import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';

test('tensor() infers shapes from nested arrays and copies typed arrays; fromArray shares them', () => {
  const t = nk.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  const buf = new Float64Array([1, 2, 3, 4]);
  const u = nk.tensor(buf, [2, 2]);
  assert.equal(u.dtype, 'float64');
  u.data[0] = 9; // a copy, as torch.tensor makes
  assert.equal(buf[0], 1);
  const v = nk.fromArray(buf, [2, 2]);
  v.data[0] = 9; // shared, as torch.from_numpy
  assert.equal(buf[0], 9);
  buf[1] = 7;
  assert.equal(v.data[1], 7);
  assert.equal(v.dtype, 'float64');
  assert.throws(() => nk.fromArray(buf, [3]), /4 values do not fill shape \[3\]/);
  assert.throws(() => nk.fromArray([1, 2] as never), /Float32Array or Float64Array, got Array/);
  assert.equal(nk.tensor(5).item(), 5);
});

test('tensor() rejects ragged arrays and shape mismatches, naming the values', () => {
  assert.throws(() => nk.tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => nk.tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2, 2\]/);
  assert.throws(() => nk.zeros([2, -1]), /non-negative integers, got \[2, -1\]/);
});

test('manualSeed makes randn reproducible', () => {
  nk.manualSeed(7);
  const a = nk.randn([100]).toList();
  nk.manualSeed(7);
  const b = nk.randn([100]).toList();
  assert.deepEqual(a, b);
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(m) < 0.4, `mean ${m}`);
});

test('broadcasting add follows NumPy rules and errors name both shapes', () => {
  const a = nk.tensor([[1, 2, 3], [4, 5, 6]]);
  const b = nk.tensor([10, 20, 30]);
  assert.deepEqual(nk.add(a, b).toArray(), [[11, 22, 33], [14, 25, 36]]);
  const c = nk.tensor([[100], [200]]);
  assert.deepEqual(nk.add(a, c).toArray(), [[101, 102, 103], [204, 205, 206]]);
  const d = nk.tensor([[1, 2]], [1, 2]);
  assert.throws(() => nk.add(a, d), /shapes \[2, 3\] and \[1, 2\] cannot be broadcast/);
  // strided general case: [2,1,3] + [1,2,1]
  const e = nk.add(nk.tensor([1, 2, 3, 4, 5, 6], [2, 1, 3]), nk.tensor([10, 20], [1, 2, 1]));
  assert.deepEqual(e.toArray(), [[[11, 12, 13], [21, 22, 23]], [[14, 15, 16], [24, 25, 26]]]);
});

test('reductions over any axes with keepdim', () => {
  const x = nk.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
  assert.deepEqual(nk.sum(x, 1).toArray(), [[9, 12], [27, 30]]);
  assert.deepEqual(nk.sum(x, [0, 2], true).shape, [1, 3, 1]);
  assert.deepEqual(nk.sum(x, [0, 2], true).toList(), [1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12]);
  assert.deepEqual(nk.mean(x, -1).toArray(), [[1.5, 3.5, 5.5], [7.5, 9.5, 11.5]]);
  assert.deepEqual(nk.max(x, 1).toArray(), [[5, 6], [11, 12]]);
  assert.equal(nk.sum(x).item(), 78);
  assert.throws(() => nk.sum(x, 3), /dim 3 is out of range for a tensor of 3 dims/);
});

test('shape ops: reshape, permute, slice, concat, indexSelect', () => {
  const x = nk.tensor([0, 1, 2, 3, 4, 5], [2, 3]);
  assert.deepEqual(nk.reshape(x, [3, -1]).shape, [3, 2]);
  assert.deepEqual(nk.transpose(x).toArray(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(nk.slice(x, 1, 1, 3).toArray(), [[1, 2], [4, 5]]);
  assert.deepEqual(nk.concat([x, x], 0).shape, [4, 3]);
  assert.deepEqual(nk.concat([x, x], 1).toArray(), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
  assert.deepEqual(nk.indexSelect(x, 0, [1, 1, 0]).toArray(), [[3, 4, 5], [3, 4, 5], [0, 1, 2]]);
  assert.throws(() => nk.indexSelect(x, 0, [2]), /index 2 at position 0 is out of range for dim 0 of size 2/);
  assert.throws(() => nk.reshape(x, [4, 2]), /cannot reshape \[2, 3\]/);
});

test('batched matmul with broadcasting matches a hand computation', () => {
  const a = nk.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = nk.tensor([7, 8, 9, 10, 11, 12], [3, 2]);
  assert.deepEqual(nk.matmul(a, b).toArray(), [[58, 64], [139, 154]]);
  const A = nk.tensor(Array.from({ length: 12 }, (_, i) => i), [2, 2, 3]);
  const r = nk.matmul(A, b);
  assert.deepEqual(r.shape, [2, 2, 2]);
  assert.deepEqual(r.toArray(), [[[0 * 7 + 1 * 9 + 2 * 11, 0 * 8 + 1 * 10 + 2 * 12], [3 * 7 + 4 * 9 + 5 * 11, 3 * 8 + 4 * 10 + 5 * 12]],
    [[6 * 7 + 7 * 9 + 8 * 11, 6 * 8 + 7 * 10 + 8 * 12], [9 * 7 + 10 * 9 + 11 * 11, 9 * 8 + 10 * 10 + 11 * 12]]]);
  assert.throws(() => nk.matmul(a, a), /inner dims differ/);
});

test('softmax sums to one and is stable for huge logits', () => {
  const x = nk.tensor([[1000, 1001, 1002], [-1e4, 0, 1e4]]);
  const y = nk.softmax(x, 1);
  const rows = y.toArray() as number[][];
  for (const r of rows) assert.ok(Math.abs(r.reduce((s, v) => s + v, 0) - 1) < 1e-6);
  assert.ok(rows.flat().every(Number.isFinite));
  const l = nk.logSoftmax(x, 1).toArray() as number[][];
  assert.ok(Math.abs(l[1]![0]! - -2e4) < 1);
});
