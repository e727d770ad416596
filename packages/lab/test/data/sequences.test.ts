import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from 'normkit';
import { reversalBatch, sortingBatch, copyBatch, addingBatch, charCorpus, charLmBatch } from '../../src/data/sequences.js';

test('sequence tasks are deterministic by seed and differ across seeds', () => {
  const gens = [
    (s: number) => reversalBatch(new Rng(s), 4, 7, 5).inputs,
    (s: number) => sortingBatch(new Rng(s), 4, 7, 5).inputs,
    (s: number) => copyBatch(new Rng(s), 4, 3, 5, 4).inputs,
    (s: number) => addingBatch(new Rng(s), 4, 10).inputs,
    (s: number) => charLmBatch(new Rng(s), charCorpus(new Rng(s), 50), 4, 12).inputs,
  ];
  for (const g of gens) {
    assert.deepEqual(Array.from(g(3)), Array.from(g(3)));
    assert.notDeepEqual(Array.from(g(3)), Array.from(g(4)));
  }
});

test('reversal and sorting targets are the reversed / sorted inputs', () => {
  const r = reversalBatch(new Rng(1), 3, 6, 9);
  const s = sortingBatch(new Rng(1), 3, 6, 9);
  for (let b = 0; b < 3; b++) {
    const inp = Array.from(r.inputs.subarray(b * 6, b * 6 + 6));
    assert.deepEqual(Array.from(r.targets.subarray(b * 6, b * 6 + 6)), [...inp].reverse());
    const sin = Array.from(s.inputs.subarray(b * 6, b * 6 + 6));
    assert.deepEqual(Array.from(s.targets.subarray(b * 6, b * 6 + 6)), [...sin].sort((a, c) => a - c));
    assert.ok(inp.every((v) => v >= 0 && v < 9));
  }
});

test('copy task: symbols, delimiter, masked recall window', () => {
  const K = 3;
  const delay = 4;
  const c = copyBatch(new Rng(2), 2, K, delay, 5);
  assert.equal(c.length, 2 * K + delay);
  assert.equal(c.vocab, 7);
  for (let b = 0; b < 2; b++) {
    const o = b * c.length;
    const syms = Array.from(c.inputs.subarray(o, o + K));
    assert.ok(syms.every((v) => v >= 1 && v <= 5));
    assert.equal(c.inputs[o + K + delay - 1], 6, 'delimiter');
    assert.deepEqual(Array.from(c.targets.subarray(o + K + delay, o + c.length)), syms);
    assert.equal(c.mask.subarray(o, o + c.length).reduce((a, v) => a + v, 0), K);
  }
  assert.throws(() => copyBatch(new Rng(0), 2, 0, 3, 4), /nSymbols must be a positive integer, got 0/);
});

test('adding task: two markers, one per half, target is their sum; constant-1 baseline MSE ~ 1/6', () => {
  const T = 20;
  const a = addingBatch(new Rng(3), 2000, T);
  let mse = 0;
  for (let b = 0; b < a.batch; b++) {
    const marks: number[] = [];
    for (let t = 0; t < T; t++) if (a.inputs[(b * T + t) * 2 + 1] === 1) marks.push(t);
    assert.equal(marks.length, 2);
    assert.ok(marks[0]! < T / 2 && marks[1]! >= T / 2);
    const s = a.inputs[(b * T + marks[0]!) * 2]! + a.inputs[(b * T + marks[1]!) * 2]!;
    assert.ok(Math.abs(a.targets[b]! - s) < 1e-6);
    mse += (a.targets[b]! - 1) ** 2 / a.batch;
  }
  assert.ok(Math.abs(mse - 1 / 6) < 0.015, `baseline mse ${mse}`);
});

test('char LM windows are shifted by one character of the corpus', () => {
  const corpus = charCorpus(new Rng(5), 30);
  assert.ok(corpus.text.endsWith('.'));
  const b = charLmBatch(new Rng(6), corpus, 3, 10);
  for (let i = 0; i < 3; i++) {
    const inp = Array.from(b.inputs.subarray(i * 10, i * 10 + 10), (v) => corpus.chars[v]).join('');
    const tgt = Array.from(b.targets.subarray(i * 10, i * 10 + 10), (v) => corpus.chars[v]).join('');
    const at = corpus.text.indexOf(inp + tgt.slice(-1));
    assert.ok(at >= 0, `window '${inp}' not found in the corpus`);
    assert.equal(inp.slice(1), tgt.slice(0, -1));
  }
  assert.throws(() => charLmBatch(new Rng(0), corpus, 1, 1e6), /too short/);
});
