/**
 * A vector exp for the activation kernels (GELU, sigmoid, tanh): two f64
 * lanes, to ~2e-16 relative, so that results rounded to float32 equal those
 * of JavaScript's Math.exp but for the rarest rounding ties.
 */
const LOG2E: f64 = 1.4426950408889634;
// ln 2 split so n * LN2_HI is exact for |n| < 2^20 (fdlibm's constants)
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;

/**
 * e^a per lane, relative error ~2e-16: a = n ln 2 + r with |r| <= ln2 / 2,
 * e^r by its Taylor series to r^13 (truncation < 3e-17), times 2^n built in
 * the exponent bits. Callers keep a <= 709 (here a <= 41). Lanes below -708
 * (where e^a is subnormal or 0) give 0:
 * every use here multiplies the result into something that is then rounded
 * to float32, where such values are 0 anyway.
 */
@inline export function expv(a: v128): v128 {
  const lim = f64x2.splat(-708.0);
  const ac = f64x2.pmax(a, lim);
  const n = f64x2.nearest(f64x2.mul(ac, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(ac, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  // Estrin: sum_k r^k / k!, k = 0..13
  const c01 = f64x2.add(f64x2.splat(1.0), r);
  const c23 = f64x2.add(f64x2.splat(0.5), f64x2.mul(f64x2.splat(1.0 / 6.0), r));
  const c45 = f64x2.add(f64x2.splat(1.0 / 24.0), f64x2.mul(f64x2.splat(1.0 / 120.0), r));
  const c67 = f64x2.add(f64x2.splat(1.0 / 720.0), f64x2.mul(f64x2.splat(1.0 / 5040.0), r));
  const c89 = f64x2.add(f64x2.splat(1.0 / 40320.0), f64x2.mul(f64x2.splat(1.0 / 362880.0), r));
  const c1011 = f64x2.add(f64x2.splat(1.0 / 3628800.0), f64x2.mul(f64x2.splat(1.0 / 39916800.0), r));
  const c1213 = f64x2.add(f64x2.splat(1.0 / 479001600.0), f64x2.mul(f64x2.splat(1.0 / 6227020800.0), r));
  const d0 = f64x2.add(c01, f64x2.mul(c23, r2));
  const d1 = f64x2.add(c45, f64x2.mul(c67, r2));
  const d2 = f64x2.add(c89, f64x2.mul(c1011, r2));
  const e0 = f64x2.add(d0, f64x2.mul(d1, r4));
  const e1 = f64x2.add(d2, f64x2.mul(c1213, r4));
  const p = f64x2.add(e0, f64x2.mul(e1, r8));
  // 2^n: n in [-1022, 1023] here, so (n + 1023) << 52 is a normal double
  const ni = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(n));
  const scale = i64x2.shl(i64x2.add(ni, i64x2.splat(1023)), 52);
  const res = f64x2.mul(p, scale);
  return v128.bitselect(f64x2.splat(0.0), res, f64x2.lt(a, lim));
}

