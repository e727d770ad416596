/**
 * Dropout draws its mask from the Rng's xoshiro128** stream, one 32-bit draw
 * per element (src/kernels/js/dropout.ts), so a seed gives the same mask as
 * drawing with `nextU32` element by element, on both backends, and leaves the
 * generator where those draws would. Also: the generator's first outputs for
 * seed 42, recorded from the implementation before its state moved into an
 * Int32Array (round two, fourth session), so the stream itself is unchanged.
 */
import assert from 'node:assert/strict';
import * as nk from '../../src/index.js';
import { testEachBackend } from '../backends.js';

testEachBackend('dropout equals a mask drawn element by element with nextU32, and advances the generator as far', () => {
  for (const n of [1, 7, 64, 1000, 5000]) {
    for (const p of [0.1, 0.5, 0.9]) {
      const x = nk.randn([n]);
      const y = nk.dropout(x, p, true, new nk.Rng(123));
      const ref = new nk.Rng(123);
      const keep = 1 / (1 - p);
      for (let i = 0; i < n; i++) {
        const m = ref.nextU32() * 2.3283064365386963e-10 >= p ? Math.fround(keep) : 0;
        assert.equal(y.data[i], Math.fround(x.data[i]! * m), `n ${n} p ${p} element ${i}`);
      }
      // the generator moved n draws: the next draw agrees
      const used = new nk.Rng(123);
      nk.dropout(x, p, true, used);
      assert.equal(used.nextU32(), ref.nextU32());
    }
  }
});

testEachBackend('the xoshiro128** stream for seed 42 is the one recorded before the state moved into an Int32Array', () => {
  const r = new nk.Rng(42);
  // recorded with the previous implementation (plain number fields), commit 9654721
  assert.deepEqual(Array.from({ length: 5 }, () => r.nextU32()), [2837322924, 544945897, 479756282, 3500138142, 339756180]);
});
