/**
 * Dropout's mask from one xoshiro128** stream cut into four contiguous
 * pieces, one per SIMD lane: lane k starts at the state the serial stream
 * reaches after k L draws (src/tensor/xoshiro-jump.ts jumps there) and writes
 * mask[k L + i], i in [0, L). So the mask is exactly the serial kernel's
 * (src/kernels/js/dropout.ts): mask[j] = keep when draw j, as a uint32, is
 * at least T = ceil(p 2^32) (the same test as u 2^-32 >= p), else 0.
 *
 * The four lanes share every instruction of the step and of the output's
 * scrambling (rotl(s1 * 5, 7) * 9), where the serial loop spends them once
 * per draw and waits on each step's result before the next.
 */

/**
 * `st`: 16 int32 words, word j of lanes 0-3 at st + 16 j (s0 of the four
 * lanes, then s1, s2, s3); on return, the lanes' states after L draws.
 */
export function dropoutMaskLanes(mask: usize, st: usize, L: i32, T: i32, keep: f32): void {
  let s0 = v128.load(st), s1 = v128.load(st, 16), s2 = v128.load(st, 32), s3 = v128.load(st, 48);
  const tv = i32x4.splat(T), kv = f32x4.splat(keep);
  const five = i32x4.splat(5), nine = i32x4.splat(9);
  const stride = <usize>L << 2;
  const m1 = mask + stride, m2 = m1 + stride, m3 = m2 + stride;
  for (let i = 0; i < L; i++) {
    const m = i32x4.mul(s1, five);
    const r = i32x4.mul(v128.or(i32x4.shl(m, 7), i32x4.shr_u(m, 25)), nine);
    const t = i32x4.shl(s1, 9);
    s2 = v128.xor(s2, s0);
    s3 = v128.xor(s3, s1);
    s1 = v128.xor(s1, s2);
    s0 = v128.xor(s0, s3);
    s2 = v128.xor(s2, t);
    s3 = v128.or(i32x4.shl(s3, 11), i32x4.shr_u(s3, 21));
    // keep's bits where r >= T (unsigned), 0.0 elsewhere
    const v = v128.and(i32x4.ge_u(r, tv), kv);
    const o = <usize>i << 2;
    v128.store32_lane(mask + o, v, 0);
    v128.store32_lane(m1 + o, v, 1);
    v128.store32_lane(m2 + o, v, 2);
    v128.store32_lane(m3 + o, v, 3);
  }
  v128.store(st, s0);
  v128.store(st, s1, 16);
  v128.store(st, s2, 32);
  v128.store(st, s3, 48);
}
