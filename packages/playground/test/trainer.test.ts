/**
 * The race's training core in Node (src/race/trainer.ts, the module the Web
 * Worker runs): same seed -> same numbers, every task/model/norm the form
 * offers builds and trains, unsupported combinations fail with a message
 * that names them, and the losses fall on the 2-D tasks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nk from 'normkit';
import { DEFAULT_CONFIG, MODELS, NORMS, TASKS, modelsFor, normalizeConfig, normsFor, type RaceConfig } from '../src/race/config.js';
import { Racer, histogram, raceLosses, HIST_BINS } from '../src/race/trainer.js';
import { decodeDigits } from '../src/race/digits.js';
import { buildDigitsBin } from '../build/digits.js';

await nk.initWasm();
const cfg = (o: Partial<RaceConfig>): RaceConfig => normalizeConfig({ ...DEFAULT_CONFIG, ...o }).config;
const digits = decodeDigits(buildDigitsBin(20));

test('same seed, same losses; another seed, other losses (both backends)', () => {
  for (const backend of ['wasm', 'js'] as const) {
    const c = cfg({ seed: 3, steps: 30, backend });
    const a = raceLosses(c, 'batchnorm', 30), b = raceLosses(c, 'batchnorm', 30);
    assert.deepEqual(a, b, `${backend}: two runs with seed 3`);
    assert.notDeepEqual(raceLosses({ ...c, seed: 4 }, 'batchnorm', 30), a, `${backend}: seed 4 should differ`);
  }
  // js and wasm kernels agree closely (not bit for bit: summation order)
  const j = raceLosses(cfg({ steps: 20, backend: 'js' }), 'layernorm', 20), w = raceLosses(cfg({ steps: 20, backend: 'wasm' }), 'layernorm', 20);
  j.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-4 * Math.abs(v), `step ${i + 1}: js ${v} vs wasm ${w[i]}`));
});

test('every task x model x supported norm builds and takes finite steps with snapshots', () => {
  for (const task of TASKS) for (const model of modelsFor(task)) for (const norm of normsFor(model)) {
    const c = cfg({ task, model, depth: model === 'transformer' ? 1 : 2, batch: 8, steps: 2, norms: [norm], lr: 1e-3 });
    const r = new Racer(c, norm, digits);
    const s1 = r.step(), s2 = r.step();
    assert.ok(Number.isFinite(s1.loss) && Number.isFinite(s2.loss), `${task}/${model}/${norm}: losses ${s1.loss}, ${s2.loss}`);
    assert.ok(s1.snapshot && s2.snapshot, `${task}/${model}/${norm}: snapshots at the first and last step`);
    assert.equal(s2.snapshot.gradNorms.length, r.info.layers.length);
    assert.ok(s2.snapshot.gradNorms.every((g) => Number.isFinite(g) && g > 0), `${task}/${model}/${norm}: grad norms ${s2.snapshot.gradNorms}`);
    assert.equal(s2.snapshot.hist.counts.reduce((a, b) => a + b), s2.snapshot.hist.counts.reduce((a, b) => a + b));
    assert.ok(s2.snapshot.testAcc >= 0 && s2.snapshot.testAcc <= 1);
    assert.ok(r.done);
  }
});

test('unsupported combinations are refused by name', () => {
  for (const model of MODELS) for (const norm of NORMS.filter((n) => !normsFor(model).includes(n))) {
    const task = model === 'transformer' ? 'copy' : model === 'cnn' ? 'digits' : 'spiral';
    assert.throws(() => new Racer(cfg({ task, model }), norm, digits), (e: Error) => e.message.includes('has no'), `${model}/${norm}`);
  }
  assert.throws(() => new Racer(cfg({ task: 'digits', model: 'mlp' }), 'none'), /digit set/);
});

test('the loss falls on the spiral and the rings for every MLP norm (300 steps, Adam 1e-2)', () => {
  for (const task of ['spiral', 'rings'] as const) for (const norm of NORMS) {
    const l = raceLosses(cfg({ task, steps: 300 }), norm, 300);
    const first = l.slice(0, 20).reduce((a, b) => a + b) / 20, last = l.slice(-20).reduce((a, b) => a + b) / 20;
    assert.ok(last < 0.5 * first, `${task}/${norm}: first 20 ${first.toFixed(3)}, last 20 ${last.toFixed(3)}`);
  }
});

test('warm-up ramps the learning rate linearly over 10% of the steps', () => {
  const r = new Racer(cfg({ warmup: true, steps: 100, lr: 0.01 }), 'none');
  const lrs = Array.from({ length: 12 }, () => r.step().lr);
  assert.ok(lrs[0]! < lrs[5]! && lrs[5]! < lrs[10]!, `lrs ${lrs}`);
  assert.ok(Math.abs(lrs[11]! - 0.01) < 1e-12, `full rate after warm-up, got ${lrs[11]}`);
  const plain = new Racer(cfg({ steps: 100, lr: 0.01 }), 'none');
  assert.equal(plain.step().lr, 0.01);
});

test('histogram: bins over [-4, 4], edge bins take the outliers, percentiles', () => {
  const h = histogram([-10, -1, 0, 0.05, 1, 10]);
  assert.equal(h.counts.length, HIST_BINS);
  assert.equal(h.counts[0], 1);
  assert.equal(h.counts[HIST_BINS - 1], 1);
  assert.equal(h.counts.reduce((a, b) => a + b), 6);
  assert.equal(h.p50, 0.05);
  assert.ok(Math.abs(h.mean - 0.05 / 6) < 1e-12);
});

test('the digits subset equals the lab loader\'s 14x14 pooling of the same mnist files, to a byte', async () => {
  const bin = buildDigitsBin(5);
  const set = decodeDigits(bin);
  assert.equal(set.labels.length, 50);
  assert.equal(set.side, 14);
  assert.equal(set.train.length, 40);
  assert.equal(set.test.length, 10);
  // the first digit of class 3 pooled by hand from the JSON the lab reads
  const { createRequire } = await import('node:module');
  const raw = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('mnist/src/digits/3.json'), 'utf8')) as { data: number[] }).data;
  const j = [...set.labels].indexOf(3);
  for (let i = 0; i < 14; i++) for (let k = 0; k < 14; k++) {
    const v = (raw[2 * i * 28 + 2 * k]! + raw[2 * i * 28 + 2 * k + 1]! + raw[(2 * i + 1) * 28 + 2 * k]! + raw[(2 * i + 1) * 28 + 2 * k + 1]!) / 4;
    assert.ok(Math.abs(set.pixels[j * 196 + i * 14 + k]! / 255 - v) <= 0.5 / 255 + 1e-9, `pixel ${i},${k}`);
  }
  assert.throws(() => decodeDigits(new Uint8Array(bin.subarray(0, 100))), /need \d+ bytes, got 100/);
  assert.throws(() => decodeDigits(new Uint8Array(20)), /expected the 'NKDG' header/);
});
