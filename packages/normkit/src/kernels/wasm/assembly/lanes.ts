/**
 * Moving float32 lanes to and from float64 lanes, and summing them, for the
 * kernels that compute in f64x2 (statistics, exact activations) on float32 data.
 */

/** Lanes 0 and 1 of an f32x4 as an f64x2. */
@inline export function lo(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
/** Lanes 2 and 3 of an f32x4 as an f64x2. */
@inline export function hi(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)); }
/** f64 accumulators p[0..4) += the four f32 lanes of v (promoted): one load and store per f64x2. */
@inline export function addToF64(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), lo(v)));
  v128.store(p, f64x2.add(v128.load(p, 16), hi(v)), 16);
}
/** Two f64x2 rounded to float32 and joined: [a0, a1, b0, b1]. */
@inline export function join(a: v128, b: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}
/** The sum of an f64x2's two lanes. */
@inline export function hsum(v: v128): f64 { return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1); }

/**
 * c + a b per f32 lane: one f32x4.relaxed_madd in the relaxed-SIMD build
 * (fused where the CPU has FMA: one rounding), a multiply and an add in the
 * SIMD-only build. The matmul's tiles and GELU's polynomials use it.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c + a b per f64 lane: f64x2.relaxed_madd in the relaxed-SIMD build (fused where the CPU has FMA), a multiply and an add otherwise. */
@inline export function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}
