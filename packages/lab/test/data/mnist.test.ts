import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDigits, rawDigits, MNIST_SIDE } from '../../src/data/mnist.js';

test('the mnist package ships 10,000 real digits, 28x28 in [0, 1]', () => {
  let total = 0;
  for (let c = 0; c < 10; c++) {
    const raw = rawDigits(c);
    assert.equal(raw.length % (MNIST_SIDE * MNIST_SIDE), 0);
    const n = raw.length / 784;
    assert.ok(n > 800 && n < 1200, `class ${c}: ${n} digits`);
    total += n;
    let min = Infinity, max = -Infinity, ink = 0;
    for (const v of raw) { if (v < min) min = v; if (v > max) max = v; if (v > 0.5) ink++; }
    assert.ok(min >= 0 && max <= 1 && max > 0.9, `class ${c}: values in [${min}, ${max}]`);
    // a handwritten digit covers roughly 10-25% of the image with ink (not noise, not blank)
    assert.ok(ink / raw.length > 0.05 && ink / raw.length < 0.3, `class ${c}: ink fraction ${ink / raw.length}`);
  }
  assert.equal(total, 10_000);
  assert.throws(() => rawDigits(10), /class must be an integer in \[0, 9\], got 10/);
});

test('loadDigits: seeded stratified 8,000 / 2,000 split, disjoint, every class in both', () => {
  const d = loadDigits({ seed: 3 });
  assert.equal(d.train.n, 8000);
  assert.equal(d.test.n, 2000);
  assert.deepEqual(d.train.featureShape, [784]);
  assert.match(d.description, /8000 train \/ 2000 test/);
  const counts = (y: Int32Array) => { const c = new Array(10).fill(0); for (const v of y) c[v]++; return c as number[]; };
  const tr = counts(d.train.y);
  const te = counts(d.test.y);
  for (let c = 0; c < 10; c++) {
    const n = rawDigits(c).length / 784;
    assert.equal(tr[c]! + te[c]!, n, `class ${c} split completely`);
    assert.equal(te[c], Math.round(n * 0.2), `class ${c}: stratified test share`);
  }
  // disjoint: no test digit equals a training digit (byte for byte)
  const key = (x: Float32Array, i: number) => Buffer.from(x.buffer, x.byteOffset + i * 784 * 4, 784 * 4).toString('base64');
  const seen = new Set<string>();
  for (let i = 0; i < d.train.n; i++) seen.add(key(d.train.x, i));
  let shared = 0;
  for (let i = 0; i < d.test.n; i++) if (seen.has(key(d.test.x, i))) shared++;
  assert.ok(shared <= 2, `${shared} test digits also in train (the package may hold a rare duplicate, not a leak)`);
  // deterministic given the seed, different for another seed; classes are interleaved
  const again = loadDigits({ seed: 3 });
  assert.deepEqual(again.test.y, d.test.y);
  assert.deepEqual(again.train.x.subarray(0, 784 * 5), d.train.x.subarray(0, 784 * 5));
  assert.notDeepEqual(loadDigits({ seed: 4 }).test.y, d.test.y);
  assert.ok(new Set(d.train.y.subarray(0, 50)).size >= 6, 'classes are shuffled together');
});

test('loadDigits: per-class subsample, images for CNNs, downsampling by average pooling, bad options', () => {
  const d = loadDigits({ seed: 1, perClass: 50, shape: 'image', size: 14 });
  assert.equal(d.train.n, 400);
  assert.equal(d.test.n, 100);
  assert.deepEqual(d.train.featureShape, [1, 14, 14]);
  // pooling preserves the mean intensity of each digit
  const full = loadDigits({ seed: 1, perClass: 50, shape: 'image' });
  assert.deepEqual(full.train.y, d.train.y);
  const mean = (x: Float32Array, i: number, p: number) => { let s = 0; for (let k = 0; k < p; k++) s += x[i * p + k]!; return s / p; };
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(mean(full.train.x, i, 784) - mean(d.train.x, i, 196)) < 1e-6);
  assert.throws(() => loadDigits({ size: 10 as never }), /size must be 28, 14 or 7, got 10/);
  assert.throws(() => loadDigits({ testFraction: 1 }), /testFraction must be in \(0, 1\), got 1/);
  assert.throws(() => loadDigits({ perClass: 1 }), /perClass must be an integer >= 2, got 1/);
  assert.throws(() => loadDigits({ sed: 1 } as never), /unknown option 'sed'/);
});
