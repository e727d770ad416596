/**
 * Jumping ahead in the xoshiro128** stream of `Rng` (src/tensor/random.ts):
 * the state after 2^k draws, without making them. This lets a kernel split
 * one stream into contiguous pieces that SIMD lanes generate side by side,
 * each lane starting where its piece of the serial stream starts, so the
 * numbers are exactly those of drawing one after another (dropout's mask,
 * src/kernels/wasm/kernels.ts).
 *
 * The method (Haramoto et al., "Efficient jump ahead for F2-linear random
 * number generators", INFORMS J. Computing 2008; Vigna's jump functions for
 * the xoshiro family): the state transition A is linear over GF(2), so
 * A^n s = q(A) s with q(x) = x^n mod P(x), P the characteristic polynomial
 * of A (degree 128). P comes from the generator itself, by Berlekamp-Massey
 * on 256 output bits of its state; x^(2^k) mod P by k squarings; and q(A) s
 * is the sum (XOR) of the states A^i s over the set bits i of q: 128 steps.
 */

import { Rng } from './random.js';

/**
 * A generator whose state words are overwritten before each use: its
 * `nextU32` is the state transition stepped here (the output it also
 * computes is dropped).
 */
const walker = new Rng(0);

const ONE = BigInt(1);
const ZERO = BigInt(0);

/**
 * The characteristic polynomial of the transition (bit i = coefficient of
 * x^i), from Berlekamp-Massey over the lowest bit of word 0 from a nonzero
 * state: for this full-period generator the minimal polynomial of that
 * sequence has degree 128 and is the characteristic polynomial.
 */
function characteristic(): bigint {
  const s = walker.stateWords();
  s.set([1, 2, 3, 4]);
  const n = 256;
  const bits: number[] = [];
  for (let i = 0; i < n; i++) { bits.push(s[0]! & 1); walker.nextU32(); }
  // Berlekamp-Massey over GF(2): C(x) = 1 + c1 x + ... + cL x^L, bits[j] = sum_i ci bits[j - i]
  let C = ONE, B = ONE, L = 0, m = 1;
  for (let j = 0; j < n; j++) {
    let d = bits[j]!;
    for (let i = 1; i <= L; i++) if ((C >> BigInt(i)) & ONE) d ^= bits[j - i]!;
    if (d === 0) { m++; continue; }
    const T = C;
    C ^= B << BigInt(m);
    if (2 * L <= j) { L = j + 1 - L; B = T; m = 1; } else m++;
  }
  if (L !== 128) throw new Error(`xoshiro128 jump: the transition's polynomial has degree ${L}, expected 128`);
  // P(x) = x^L C(1/x): the coefficients reversed
  let P = ZERO;
  for (let i = 0; i <= L; i++) if ((C >> BigInt(i)) & ONE) P |= ONE << BigInt(L - i);
  return P;
}

/** a b mod P over GF(2). */
function mulMod(a: bigint, b: bigint, P: bigint): bigint {
  let r = ZERO;
  for (let i = 0; b >> BigInt(i); i++) if ((b >> BigInt(i)) & ONE) r ^= a << BigInt(i);
  for (let i = 255; i >= 128; i--) if ((r >> BigInt(i)) & ONE) r ^= P << BigInt(i - 128);
  return r;
}

/** x^(2^k) mod P, k = 0, 1, ..., as four uint32 words each (low word first); grown on demand. */
const jumps: Uint32Array[] = [];
let P: bigint | null = null;
let xPow: bigint = ZERO;

function jumpWords(k: number): Uint32Array {
  if (P === null) { P = characteristic(); xPow = BigInt(2); }
  while (jumps.length <= k) {
    const w = new Uint32Array(4);
    for (let i = 0; i < 4; i++) w[i] = Number((xPow >> BigInt(32 * i)) & BigInt(0xffffffff));
    jumps.push(w);
    xPow = mulMod(xPow, xPow, P);
  }
  return jumps[k]!;
}

/**
 * `out` = the state `state` reaches after 2^k draws (four int32 words, as
 * `Rng.stateWords()` holds them); `state` is unchanged. 128 transition steps,
 * whatever k (0 <= k < 128).
 */
export function jumpPow2(state: Int32Array, k: number, out: Int32Array): void {
  if (!Number.isInteger(k) || k < 0 || k >= 128) throw new RangeError(`jumpPow2: k must be an integer in [0, 128), got ${k}`);
  const q = jumpWords(k);
  const s = walker.stateWords();
  s.set(state);
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (let w = 0; w < 4; w++) {
    const word = q[w]!;
    for (let b = 0; b < 32; b++) {
      if ((word >>> b) & 1) { a0 ^= s[0]!; a1 ^= s[1]!; a2 ^= s[2]!; a3 ^= s[3]!; }
      walker.nextU32();
    }
  }
  out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3;
}
