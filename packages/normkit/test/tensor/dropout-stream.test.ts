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
import { dropoutMask, drawMask } from '../../src/kernels/js/dropout.js';

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

/** `mask` (dropout of ones) is keep where `ref`'s next draws pass p, 0 elsewhere, element by element; `ref` moves mask.length draws. */
function expectStreamMask(mask: ArrayLike<number>, ref: nk.Rng, p: number, what: string): void {
  const keep = Math.fround(1 / (1 - p));
  for (let i = 0; i < mask.length; i++) {
    const m = ref.nextU32() * 2.3283064365386963e-10 >= p ? keep : 0;
    if (mask[i] !== m) assert.fail(`${what}: element ${i} is ${mask[i]}, the stream's draw gives ${m}`);
  }
}

testEachBackend('long masks (the WebAssembly backend draws them in four SIMD lanes from jumped-to states) are the serial stream too', () => {
  // around the lanes' threshold (2048), pieces of 4 * 2^k and their tails, and a million
  for (const n of [2047, 2048, 2049, 4095, 8192 + 3, 100_003, (1 << 20) + 5]) {
    for (const p of n > 10_000 ? [0.1, 0.5] : [0.1, 0.5, 0.9]) {
      const ref = new nk.Rng(n);
      expectStreamMask(nk.dropout(nk.ones([n]), p, true, new nk.Rng(n)).data, ref, p, `n ${n} p ${p}`);
      const used = new nk.Rng(n);
      nk.dropout(nk.ones([n]), p, true, used);
      assert.equal(used.nextU32(), ref.nextU32(), `n ${n} p ${p}: the generator moved n draws`);
    }
  }
  // the edges of the threshold: p so small that only draw 0 is dropped, and so close to 1 that no draw survives
  for (const p of [2 ** -40, 1 - 2 ** -40, 1 - 2 ** -33]) {
    expectStreamMask(nk.dropout(nk.ones([5000]), p, true, new nk.Rng(3)).data, new nk.Rng(3), p, `p ${p}`);
  }
});

testEachBackend('the mask kernel itself, long, at p <= 0 and p >= 1 where dropout() never calls it: the serial loop\'s mask and state', () => {
  for (const p of [-0.5, 0, 1, 1.5]) {
    const a = new Float32Array(3000), sa = new nk.Rng(9).stateWords().slice();
    dropoutMask(a, sa, p, 2);
    const b = new Float32Array(3000), sb = new nk.Rng(9).stateWords().slice();
    drawMask(b, sb, p, 2);
    assert.deepEqual(a, b, `p ${p}: mask`);
    assert.deepEqual(sa, sb, `p ${p}: state`);
  }
});

testEachBackend('generator words whose bits spell a float32 signaling NaN come back from a long mask unchanged', () => {
  // int32 words travel to wasm memory as the bits of a float32 view; a float32 round trip through
  // a JavaScript number would set bit 22 (the quiet bit) of such a word: 0xff800001 -> 0xffc00001
  const sNaN = (w: number) => (w & 0x7f800000) === 0x7f800000 && (w & 0x400000) === 0 && (w & 0x3fffff) !== 0;
  const n = 3000;
  let found = 0;
  for (let seed = 1; found < 3; seed++) {
    const ref = new nk.Rng(seed);
    for (let i = 0; i < n; i++) ref.nextU32();
    if (!Array.from(ref.stateWords()).some(sNaN)) continue; // the state after the mask must hold one
    found++;
    const rng = new nk.Rng(seed);
    nk.dropout(nk.ones([n]), 0.5, true, rng);
    assert.deepEqual(rng.stateWords(), ref.stateWords(), `seed ${seed}: the generator after ${n} draws`);
  }
});

testEachBackend('the xoshiro128** stream for seed 42 is the one recorded before the state moved into an Int32Array', () => {
  const r = new nk.Rng(42);
  // recorded with the previous implementation (plain number fields), commit 9654721
  assert.deepEqual(Array.from({ length: 5 }, () => r.nextU32()), [2837322924, 544945897, 479756282, 3500138142, 339756180]);
});
