/**
 * Jumping ahead in the xoshiro128** stream (src/tensor/xoshiro-jump.ts): the
 * state after 2^k draws equals drawing them one by one (k up to 2^16 draws),
 * and beyond, two jumps of 2^k are one of 2^(k+1) (the polynomials are
 * squares of each other only if the characteristic polynomial is right).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { jumpPow2 } from '../../src/tensor/xoshiro-jump.js';

test('jumpPow2(state, k) is the state after 2^k draws, k = 0..16, from several seeds', () => {
  for (const seed of [0, 7, 123456789]) {
    for (let k = 0; k <= 16; k++) {
      const r = new nk.Rng(seed);
      r.nextU32(); // any state, not only a fresh one
      const before = Int32Array.from(r.stateWords());
      const out = new Int32Array(4);
      jumpPow2(before, k, out);
      for (let i = 0; i < 2 ** k; i++) r.nextU32();
      assert.deepEqual(out, r.stateWords(), `seed ${seed}, 2^${k} draws`);
      assert.deepEqual(before, (() => { const q = new nk.Rng(seed); q.nextU32(); return q.stateWords(); })(), 'the input state is left as it was');
    }
  }
});

test('two jumps of 2^k are one jump of 2^(k+1), far beyond what can be drawn one by one', () => {
  const s = Int32Array.from(new nk.Rng(42).stateWords());
  for (const k of [20, 31, 40, 64, 100, 126]) {
    const a = new Int32Array(4), b = new Int32Array(4), c = new Int32Array(4);
    jumpPow2(s, k, a);
    jumpPow2(a, k, b);
    jumpPow2(s, k + 1, c);
    assert.deepEqual(b, c, `2 x 2^${k} = 2^${k + 1}`);
    assert.notDeepEqual(a, s);
  }
});

test('jumpPow2 refuses k outside [0, 128), by value', () => {
  const s = new Int32Array([1, 2, 3, 4]), out = new Int32Array(4);
  assert.throws(() => jumpPow2(s, 128, out), /k must be an integer in \[0, 128\), got 128/);
  assert.throws(() => jumpPow2(s, -1, out), /got -1/);
  assert.throws(() => jumpPow2(s, 1.5, out), /got 1.5/);
});
