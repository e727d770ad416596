/**
 * Dropout's mask (src/functional/dropout.ts): mask[i] = keep when the next
 * xoshiro128** draw u (32 bits) has u 2^-32 >= p, else 0: the stream of
 * `Rng.nextU32` (src/tensor/random.ts), with the generator's four int32
 * words in `state`, advanced by mask.length draws.
 *
 * Here, the serial loop (the TypeScript backend, and short masks): each draw
 * depends on the last, and the same loop compiled to WebAssembly ran at this
 * loop's speed (3.3 against 3.5 ns per draw, 1M draws; fourth session). With
 * the state in locals it is 4x faster than calling nextU32 per element was.
 * The WebAssembly backend cuts long masks into four contiguous pieces of the
 * same stream, jumps to where each piece starts (src/tensor/xoshiro-jump.ts)
 * and draws the pieces in four SIMD lanes (assembly/dropout.ts): the same
 * mask, bit for bit.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, inout, num, output } from '../kernel.js';

/**
 * The serial loop: `mask[i]` from the next draw of the stream whose four
 * int32 words are `state` (advanced by mask.length draws). Also the tail of
 * the WebAssembly kernel, after its SIMD lanes.
 */
export function drawMask(mask: TypedArray, state: Int32Array, p: number, keep: number): void {
  // the state in locals for the loop (int32 bits, as Rng keeps them)
  let s0 = state[0]!, s1 = state[1]!, s2 = state[2]!, s3 = state[3]!;
  for (let i = 0; i < mask.length; i++) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    mask[i] = r * 2.3283064365386963e-10 >= p ? keep : 0;
  }
  state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
}

export const dropoutMask = declareKernel('dropoutMask', [
  output('mask', 'all'), inout('state', '4', { elem: 'i32' }), num('p'), num('keep'),
], function dropoutMaskJs(mask: TypedArray, state: Int32Array, p: number, keep: number): void {
  drawMask(mask, state, p, keep);
});
