import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warpedMixture } from '../../src/data/mixtures.js';
import { glyphImages } from '../../src/data/glyphs.js';
import { epochBatches, splitData, trainLoop, accuracy, quantile, firstReach, mean, std } from '../../src/train-utils.js';
import { Rng } from 'normkit';
import { tensor } from 'normkit';

function counts(y: Int32Array, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const v of y) c[v]++;
  return c;
}

test('warpedMixture: shapes, balanced classes, deterministic by seed', () => {
  const a = warpedMixture({ n: 200, seed: 3 });
  const b = warpedMixture({ n: 200, seed: 3 });
  const c = warpedMixture({ n: 200, seed: 4 });
  assert.deepEqual(a.featureShape, [32]);
  assert.equal(a.x.length, 200 * 32);
  assert.equal(a.numClasses, 10);
  assert.deepEqual(counts(a.y, 10), new Array(10).fill(20));
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  assert.notDeepEqual(a.x, c.x);
  assert.ok(a.x.every(Number.isFinite));
  // ill-conditioned features: per-feature spreads differ by more than 10x
  const sd = Array.from({ length: 32 }, (_, j) => std(Array.from({ length: 200 }, (_, i) => a.x[i * 32 + j]!)));
  assert.ok(Math.max(...sd) / Math.min(...sd) > 10);
  const small = warpedMixture({ n: 30, seed: 1, classes: 3, dim: 5 });
  assert.deepEqual(small.featureShape, [5]);
  assert.deepEqual(counts(small.y, 3), [10, 10, 10]);
});

test('warpedMixture: logScaleRange and offsetFactor widen the spread of scales and move the means', () => {
  const n = 400;
  const stats = (d: { x: Float32Array }) => {
    const sd: number[] = [];
    const zs: number[] = []; // |mean| / sd per feature: how far off-centre
    for (let j = 0; j < 32; j++) {
      const col = Array.from({ length: n }, (_, i) => d.x[i * 32 + j]!);
      const m = col.reduce((a, b) => a + b, 0) / n;
      sd.push(std(col));
      zs.push(Math.abs(m) / std(col));
    }
    return { ratio: Math.max(...sd) / Math.min(...sd), offCentre: zs.reduce((a, b) => a + b, 0) / 32 };
  };
  const base = stats(warpedMixture({ n, seed: 3 }));
  const wide = stats(warpedMixture({ n, seed: 3, logScaleRange: 2, offsetFactor: 5 }));
  assert.ok(wide.ratio > 30 * base.ratio, `scale ratio ${wide.ratio} vs ${base.ratio}`);
  assert.ok(wide.offCentre > 1.8 * base.offCentre, `offsets ${wide.offCentre} vs ${base.offCentre}`);
  // the labels do not depend on the conditioning
  assert.deepEqual(warpedMixture({ n, seed: 3, logScaleRange: 2 }).y, warpedMixture({ n, seed: 3 }).y);
  assert.throws(() => warpedMixture({ n: 10, seed: 1, logScaleRange: -1 }), /logScaleRange must be a finite number >= 0, got -1/);
});

test('warpedMixture: a nearest-class-mean classifier is well above chance but far from perfect', () => {
  const tr = warpedMixture({ n: 2000, seed: 1, illConditioned: false });
  const te = warpedMixture({ n: 500, seed: 2, illConditioned: false });
  const d = 32;
  const mu = new Float64Array(10 * d);
  const cnt = new Float64Array(10);
  for (let i = 0; i < tr.n; i++) {
    cnt[tr.y[i]!]++;
    for (let j = 0; j < d; j++) mu[tr.y[i]! * d + j] += tr.x[i * d + j]!;
  }
  for (let c = 0; c < 10; c++) for (let j = 0; j < d; j++) mu[c * d + j] /= cnt[c]!;
  let ok = 0;
  for (let i = 0; i < te.n; i++) {
    let best = -1;
    let bd = Infinity;
    for (let c = 0; c < 10; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (te.x[i * d + j]! - mu[c * d + j]!) ** 2;
      if (s < bd) { bd = s; best = c; }
    }
    if (best === te.y[i]) ok++;
  }
  const acc = ok / te.n;
  assert.ok(acc > 0.2 && acc < 0.85, `nearest-mean accuracy ${acc}`);
});

test('glyphImages: shapes, classes, determinism; background mode needs 3 channels', () => {
  const a = glyphImages({ n: 40, seed: 5, size: 8 });
  assert.deepEqual(a.featureShape, [1, 8, 8]);
  assert.equal(a.x.length, 40 * 64);
  assert.deepEqual(counts(a.y, 10), new Array(10).fill(4));
  assert.deepEqual(a.x, glyphImages({ n: 40, seed: 5, size: 8 }).x);
  assert.notDeepEqual(a.x, glyphImages({ n: 40, seed: 6, size: 8 }).x);
  const b = glyphImages({ n: 20, seed: 1, size: 16, mode: 'background' });
  assert.deepEqual(b.featureShape, [3, 16, 16]);
  assert.throws(() => glyphImages({ n: 4, seed: 1, mode: 'background', channels: 1 }), /needs 3 channels, got 1/);
  assert.throws(() => glyphImages({ n: 0, seed: 1 }), /positive integer, got 0/);
});

test('glyphImages background mode: the class background color shows in the per-channel means', () => {
  const d = glyphImages({ n: 400, seed: 2, size: 16, mode: 'background', noise: 0.1 });
  const hw = 256;
  // (mean of channel 0) - (mean of channel 1) separates even from odd classes
  let okSign = 0;
  for (let i = 0; i < d.n; i++) {
    let m0 = 0, m1 = 0;
    for (let p = 0; p < hw; p++) { m0 += d.x[i * 768 + p]!; m1 += d.x[i * 768 + hw + p]!; }
    const even = (d.y[i]! & 1) === 0;
    // the random foreground color adds noise, so only require a clear majority
    if ((m0 > m1) === even) okSign++;
  }
  assert.ok(okSign / d.n > 0.8, `background cue agreement ${okSign / d.n}`);
});

test('train-utils: seeded batches, split, trainLoop divergence, stats', () => {
  const d = warpedMixture({ n: 100, seed: 1, dim: 4 });
  const b1 = [...epochBatches(d, 32, new Rng(7))];
  const b2 = [...epochBatches(d, 32, new Rng(7))];
  assert.equal(b1.length, 3); // partial batch dropped
  assert.deepEqual(b1[0]!.x.shape, [32, 4]);
  assert.deepEqual(b1.map((b) => Array.from(b.indices)), b2.map((b) => Array.from(b.indices)));
  const { train, test: te } = splitData(d, 0.2, 1);
  assert.equal(train.n + te.n, 100);
  assert.equal(te.n, 20);
  let calls = 0;
  const r = trainLoop({ data: d, batchSize: 10, steps: 25, seed: 1, step: () => (++calls === 17 ? NaN : 1) });
  assert.equal(r.status, 'diverged');
  assert.equal(r.divergedAt, 17);
  assert.equal(r.losses.length, 16);
  const evals: number[] = [];
  const ok = trainLoop({ data: d, batchSize: 10, steps: 25, seed: 1, step: () => 0.5, evalEvery: 10, onEval: (s) => evals.push(s) });
  assert.equal(ok.status, 'ok');
  assert.equal(ok.stepsDone, 25);
  assert.deepEqual(evals, [10, 20, 25]);
  assert.equal(accuracy(tensor([1, 2, 5, 0, NaN, NaN], [3, 2]), [1, 0, 0]), 2 / 3);
  assert.equal(quantile([3, 1, 2, 4], 0.5), 2.5);
  assert.equal(firstReach([0.1, null, 0.5, 0.9], [10, 20, 30, 40], 0.5), 30);
  assert.equal(firstReach([0.1], [10], 0.5), null);
  assert.equal(mean([1, null, 3]), 2);
});
