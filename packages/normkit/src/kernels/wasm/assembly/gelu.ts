/**
 * Exact GELU, y = x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2, and its
 * derivative Phi(x) + x phi(x), on float32 data in f32x4 lanes (the derivative
 * only with y, for a differentiated forward: geluWithDerivative): the
 * WebAssembly twin of the 'gelu' loops in src/kernels/js/pointwise.ts (which
 * compute in float64 with src/kernels/js/erf.ts).
 *
 * GELU was a fifth of a Transformer training step with f64x2 lanes and a
 * 22-term erfc; in four f32 lanes it is ~4x faster. Float32 arithmetic
 * keeps the result within a few float32 ulps of the float64 value everywhere,
 * including the far negative tail, where x Phi(x) is tiny and the usual
 * 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's float32 formula) loses every
 * digit to cancellation:
 *
 * - |x| / sqrt 2 = z < 0.35: Phi = 1/2 + sign(x) erf(z) / 2, erf(z) = z Q(z^2),
 *   Q of degree 4 (relative error 4e-11);
 * - z >= 0.35: erfc(z) = exp(-z^2) R(t), t = 1 / (1 + p z), R of degree 10
 *   (a least-squares fit of erfcx on z in [0.35, 14.5], relative error 2e-9
 *   with float64 coefficients, 3e-8 rounded to float32; both fits by
 *   scripts/fit-gelu.py). exp(-z^2) needs z^2 = x^2 / 2 to more than
 *   float32 precision (an error of 1e-7 in z^2 = 80 is 8e-6 in the result):
 *   x^2 = hi + lo exactly by splitting x into 12-bit halves (Dekker), and
 *   exp(-z^2) = exp(-hi/2) (1 - lo/2), with Cephes's expf polynomial.
 *   The power of two of exp is applied last, in two steps (2^(n+100), then
 *   2^-100), so results in the subnormal range round once.
 *
 * Measured against the float64 kernel over 3M points (bench/gelu-accuracy.ts;
 * the tolerances of test/pointwise/activation-kernels.test.ts): forward within
 * 5.9e-7 relative (5 ulps; the float64 loops: 1), subnormal results within 3
 * ulps; derivative within 1.5e-7 absolute (one ulp at Phi's scale).
 * Speed (131072 resident floats, one thread): forward 12.8 -> 6.9-7.4 ns per
 * element, derivative 23.6 -> 7.3 ns against the f64x2 version. The
 * relaxed-SIMD build fuses the polynomials' multiply-adds (relaxed_madd):
 * forward 4.2 ns against 4.9-6.0, derivative 4.6-5.6 against 5.5-7.0 (same
 * session, alternating runs), and no less accurate (forward within 5.7e-7
 * relative, the same sweep).
 *
 * Shapes: src, dst, deriv: n f32. Each kernel covers elements [i0, i1).
 */

import { madd } from './lanes';

const INV_SQRT2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const P: f32 = 0.3275911;
const Z_SPLIT: f32 = 0.35;

@inline function sp(v: f32): v128 { return f32x4.splat(v); }
// |v|, -v and a lane select written as the bit operations they are (the same
// bits as f32x4.abs/neg and v128.bitselect): V8 builds abs's and neg's masks
// with two instructions on every use and bitselect from three, where a mask
// held in a register, or relaxed SIMD's laneselect (one blend; our masks are
// whole-lane comparison results), costs one.
@inline function abs(v: v128): v128 { return v128.and(v, i32x4.splat(0x7fffffff)); }
@inline function neg(v: v128): v128 { return v128.xor(v, i32x4.splat(i32.MIN_VALUE)); }
@inline function select(a: v128, b: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, mask);
  return v128.bitselect(a, b, mask);
}
/** erf(z) / z = Q(z^2) for z < 0.35. */
@inline function erfOverZ(s: v128): v128 {
  let q = madd(sp(0.0049689946759894745), s, sp(-0.026839029056988015));
  q = madd(q, s, sp(0.11283673083826981));
  q = madd(q, s, sp(-0.37612637083730177));
  return madd(q, s, sp(1.1283791670506953));
}

/** erfcx(z) = erfc(z) exp(z^2) = R(t), t = 1 / (1 + p z), for z >= 0.35. */
@inline function erfcxOfT(t: v128): v128 {
  let r = madd(sp(0.05271802470088005), t, sp(-0.29967835545539856));
  r = madd(r, t, sp(0.5958464741706848));
  r = madd(r, t, sp(-0.5313277840614319));
  r = madd(r, t, sp(0.48978206515312195));
  r = madd(r, t, sp(-0.05213969200849533));
  r = madd(r, t, sp(0.2102757692337036));
  r = madd(r, t, sp(0.16346751153469086));
  r = madd(r, t, sp(0.18634480237960815));
  r = madd(r, t, sp(0.1847064197063446));
  return madd(r, t, sp(3.95408187614521e-06));
}

/** k = round(-log2(e) a^2 / 2) per lane for a in [0, 20.5]: exp(-a^2 / 2) = m 2^k (m from `expHalfSquare`). */
@inline function expPower(a: v128): v128 {
  // y = a^2 / 2 <= 110: below e^-110 = 2^-158.7 every use rounds to 0
  const y = f32x4.pmin(f32x4.mul(f32x4.mul(a, a), sp(0.5)), sp(110.0));
  return f32x4.nearest(f32x4.mul(y, sp(-1.4426950408889634)));
}

/** 2^(k + 100) per lane, from k's exponent bits (k in [-159, 0]). */
@inline function powerScale(k: v128): v128 {
  // k + 227 (in [68, 227]) lands in the low mantissa bits of k + 227 + 2^23,
  // which then moves up to the exponent field (cheaper than
  // i32x4.trunc_sat_f32x4_s, which x64 has no instruction for)
  return i32x4.shl(i32x4.sub(f32x4.add(k, sp(8388835.0)), i32x4.splat(0x4b000000)), 23);
}

/**
 * m with exp(-a^2 / 2) = m 2^k per lane for a in [0, 20.5], k from
 * `expPower(a)`: a^2 split exactly into hi + lo, exp(-hi/2) by Cody-Waite
 * reduction and Cephes's expf polynomial (1 ulp), times (1 - lo/2).
 * The power of two is a separate value (not a global set here): a v128
 * global was a store and a load per vector.
 */
@inline function expHalfSquare(a: v128, k: v128): v128 {
  const aa = f32x4.mul(a, a);
  const ah = v128.and(a, i32x4.splat(-4096));
  const al = f32x4.sub(a, ah);
  // ah^2 and 2 ah al are exact (12-bit halves); ah^2 - aa is exact (Sterbenz)
  const lo = f32x4.add(f32x4.add(f32x4.sub(f32x4.mul(ah, ah), aa), f32x4.mul(f32x4.add(ah, ah), al)), f32x4.mul(al, al));
  const y = f32x4.pmin(f32x4.mul(aa, sp(0.5)), sp(110.0));
  const r = f32x4.sub(f32x4.sub(neg(y), f32x4.mul(k, sp(0.693359375))), f32x4.mul(k, sp(-2.12194440e-4)));
  let p = madd(sp(1.9875691500e-4), r, sp(1.3981999507e-3));
  p = madd(p, r, sp(8.3334519073e-3));
  p = madd(p, r, sp(4.1665795894e-2));
  p = madd(p, r, sp(1.6666665459e-1));
  p = madd(p, r, sp(5.0000001201e-1));
  const e = f32x4.add(f32x4.add(sp(1.0), r), f32x4.mul(f32x4.mul(r, r), p));
  return f32x4.mul(e, f32x4.sub(sp(1.0), f32x4.mul(lo, sp(0.5))));
}

/** v 2^n per lane, n in [-159, 0], given s1 = 2^(n + 100): one rounding, also into the subnormals. */
@inline function scale(v: v128, s1: v128): v128 {
  return f32x4.mul(f32x4.mul(v, s1), sp(7.888609052210118e-31)); // exact, then * 2^-100
}

/** Phi(x) on the central branch (z = |x| / sqrt 2 < 0.35): 1/2 + sign(x) erf(z) / 2. */
@inline function phiCentral(x: v128, z: v128): v128 {
  const erfz = f32x4.mul(z, erfOverZ(f32x4.mul(z, z)));
  return f32x4.add(sp(0.5), f32x4.mul(sp(0.5), v128.or(erfz, v128.and(x, i32x4.splat(i32.MIN_VALUE)))));
}

/** erfcx(z) = R(t), t = 1 / (1 + p z), for the tail (z >= 0.35; z clamped to the fit's range). */
@inline function erfcx(z: v128): v128 {
  return erfcxOfT(f32x4.div(sp(1.0), f32x4.add(sp(1.0), f32x4.mul(sp(P), f32x4.pmin(z, sp(14.5))))));
}

/*
 * GELU and its derivative from the parts they share (geluLanes,
 * geluDerivLanes and geluBothLanes below compute the parts once and call
 * these, so every kernel evaluates the same expressions, in the same order:
 * a differentiated forward has the bits of the separate kernels):
 *   a = |x|, z = a / sqrt 2, ac = min(a, 20.5), phiC = Phi on the central
 *   branch, R = erfcx(z), exp(-z^2) = m 2^k with n = 2^(k + 100).
 */

/** gelu(x): z < 0.35: x Phi; else h = a erfc(z) / 2 and x >= 0: a - h, x < 0: -h. */
@inline function geluOf(x: v128, a: v128, z: v128, ac: v128, phiC: v128, R: v128, m: v128, n: v128): v128 {
  const h = scale(f32x4.mul(f32x4.mul(f32x4.mul(sp(0.5), ac), R), m), n);
  const yT = select(f32x4.sub(a, h), neg(h), f32x4.ge(x, sp(0.0)));
  // NaN lanes: z < 0.35 is false, and the tail carries the NaN through a
  return select(f32x4.mul(x, phiC), yT, f32x4.lt(z, sp(Z_SPLIT)));
}

/** gelu'(x) = Phi(x) + x phi(x), and x itself where x is NaN. */
@inline function derivOf(x: v128, z: v128, ac: v128, phiC: v128, R: v128, m: v128, n: v128): v128 {
  // z < 0.35: Phi + x phi, both terms in range (no scaling issue)
  const dC = f32x4.add(phiC, f32x4.mul(f32x4.mul(x, scale(m, n)), sp(INV_SQRT_2PI)));
  // z >= 0.35: with E = exp(-z^2) and erfc = E R,
  //   x >= 0: 1 - E R / 2 + a E c = 1 + E (a c - R / 2);   x < 0: E (R / 2 - a c)
  const u = f32x4.sub(f32x4.mul(sp(0.5), R), f32x4.mul(ac, sp(INV_SQRT_2PI)));
  const eu = scale(f32x4.mul(u, m), n);
  const dT = select(f32x4.sub(sp(1.0), eu), eu, f32x4.ge(x, sp(0.0)));
  const d = select(dC, dT, f32x4.lt(z, sp(Z_SPLIT)));
  // NaN x: every branch above is NaN-free for a = NaN only through min(); carry it explicitly
  return select(x, d, f32x4.ne(x, x));
}

@inline function geluLanes(x: v128): v128 {
  const a = abs(x), z = f32x4.mul(a, sp(INV_SQRT2)), ac = f32x4.pmin(a, sp(20.5)), k = expPower(ac);
  return geluOf(x, a, z, ac, phiCentral(x, z), erfcx(z), expHalfSquare(ac, k), powerScale(k));
}

@inline function geluDerivLanes(x: v128): v128 {
  const a = abs(x), z = f32x4.mul(a, sp(INV_SQRT2)), ac = f32x4.pmin(a, sp(20.5)), k = expPower(ac);
  return derivOf(x, z, ac, phiCentral(x, z), erfcx(z), expHalfSquare(ac, k), powerScale(k));
}

/** y = gelu(x) at dst and d = gelu'(x) at deriv, sharing exp(-z^2), erfcx and their scaling. */
@inline function geluBothLanes(x: v128, dst: usize, deriv: usize): void {
  const a = abs(x), z = f32x4.mul(a, sp(INV_SQRT2)), ac = f32x4.pmin(a, sp(20.5)), k = expPower(ac);
  const phiC = phiCentral(x, z), R = erfcx(z), m = expHalfSquare(ac, k), n = powerScale(k);
  v128.store(dst, geluOf(x, a, z, ac, phiC, R, m, n));
  v128.store(deriv, derivOf(x, z, ac, phiC, R, m, n));
}

/** dst[i] = gelu(src[i]), deriv[i] = gelu'(src[i]) for i in [i0, i1): a training forward that saves its backward's factor. */
export function geluWithDerivative(src: usize, dst: usize, deriv: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    geluBothLanes(v128.load(src + o), dst + o, deriv + o);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    // the tail through the one-output lane functions (the same parts, the same bits)
    const x = f32x4.splat(load<f32>(src + o));
    store<f32>(dst + o, f32x4.extract_lane(geluLanes(x), 0));
    store<f32>(deriv + o, f32x4.extract_lane(geluDerivLanes(x), 0));
  }
}

/** dst[i] = gelu(src[i]) for i in [i0, i1). */
export function geluForward(src: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, geluLanes(v128.load(src + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, f32x4.extract_lane(geluLanes(f32x4.splat(load<f32>(src + o))), 0));
  }
}
