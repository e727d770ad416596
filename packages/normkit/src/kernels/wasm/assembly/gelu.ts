/**
 * Exact GELU, y = x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2, and its
 * derivative Phi(x) + x phi(x), on float32 data in f64x2 SIMD lanes: the
 * WebAssembly twin of the 'gelu' loops in src/kernels/js/pointwise.ts, with
 * the same erfc (src/kernels/js/erf.ts: t = 1 / (1 + z/2), erfc(z) =
 * t exp(-z^2 + P(2t - 1)), P of degree 22 by Estrin's scheme, 1.3e-13
 * relative) and a vector exp, so the results equal the TypeScript kernel's
 * to float32 rounding. GELU was a third of a Transformer training step in
 * scalar JS (exp and erfc per element, twice per step).
 *
 * Shapes: src, dst, dout, x: n f32. Each kernel covers elements [i0, i1).
 */

import { expv } from './expv';

const INV_SQRT2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;

/** erfc(z) for z >= 0 per lane (src/kernels/js/erf.ts's fit, same operation order). */
@inline function erfcPos(z: v128): v128 {
  const t = f64x2.div(f64x2.splat(1.0), f64x2.add(f64x2.splat(1.0), f64x2.mul(f64x2.splat(0.5), z)));
  const u = f64x2.sub(f64x2.mul(f64x2.splat(2.0), t), f64x2.splat(1.0));
  const u2 = f64x2.mul(u, u);
  const u4 = f64x2.mul(u2, u2);
  const u8 = f64x2.mul(u4, u4);
  const u16 = f64x2.mul(u8, u8);
  const q0 = f64x2.add(f64x2.add(f64x2.splat(-0.6717940840566933), f64x2.mul(f64x2.splat(0.672643223977637), u)),
    f64x2.mul(f64x2.add(f64x2.splat(0.04734330684246522), f64x2.mul(f64x2.splat(-0.04689561023029305), u)), u2));
  const q1 = f64x2.add(f64x2.add(f64x2.splat(-0.009872689390433306), f64x2.mul(f64x2.splat(0.008824938552156445), u)),
    f64x2.mul(f64x2.add(f64x2.splat(0.0017589339550567753), f64x2.mul(f64x2.splat(-0.0023458126502927364), u)), u2));
  const q2 = f64x2.add(f64x2.add(f64x2.splat(-0.00014625019231952207), f64x2.mul(f64x2.splat(0.0006736812792242756), u)),
    f64x2.mul(f64x2.add(f64x2.splat(-9.371911843075929e-05), f64x2.mul(f64x2.splat(-0.00017431993098420467), u)), u2));
  const q3 = f64x2.add(f64x2.add(f64x2.splat(7.135592015990602e-05), f64x2.mul(f64x2.splat(3.181076256068242e-05), u)),
    f64x2.mul(f64x2.add(f64x2.splat(-3.011588160410529e-05), f64x2.mul(f64x2.splat(-1.799073036366165e-08), u)), u2));
  const q4 = f64x2.add(f64x2.add(f64x2.splat(8.519495902695943e-06), f64x2.mul(f64x2.splat(-2.7175164679250908e-06), u)),
    f64x2.mul(f64x2.add(f64x2.splat(-1.3276535444439035e-06), f64x2.mul(f64x2.splat(1.0473596116044294e-06), u)), u2));
  const q5 = f64x2.add(f64x2.add(f64x2.splat(-3.5521419260636414e-08), f64x2.mul(f64x2.splat(-1.6190536565366887e-07), u)),
    f64x2.mul(f64x2.splat(4.389380644200682e-08), u2));
  const r0 = f64x2.add(q0, f64x2.mul(q1, u4));
  const r1 = f64x2.add(q2, f64x2.mul(q3, u4));
  const r2 = f64x2.add(q4, f64x2.mul(q5, u4));
  const P = f64x2.add(f64x2.add(r0, f64x2.mul(r1, u8)), f64x2.mul(r2, u16));
  return f64x2.mul(t, expv(f64x2.add(f64x2.neg(f64x2.mul(z, z)), P)));
}

/** Phi(x) = erfc(-x / sqrt 2) / 2 per lane. */
@inline function normalCdf(x: v128): v128 {
  const w = f64x2.mul(f64x2.neg(x), f64x2.splat(INV_SQRT2));
  const r = erfcPos(f64x2.abs(w));
  // erfc(w) = 2 - erfc(-w) for w < 0
  const e = v128.bitselect(f64x2.sub(f64x2.splat(2.0), r), r, f64x2.lt(w, f64x2.splat(0.0)));
  return f64x2.mul(f64x2.splat(0.5), e);
}

@inline function geluLanes(x: v128): v128 {
  return f64x2.mul(x, normalCdf(x));
}

@inline function geluGradLanes(g: v128, x: v128): v128 {
  const pdf = f64x2.mul(expv(f64x2.mul(f64x2.splat(-0.5), f64x2.mul(x, x))), f64x2.splat(INV_SQRT_2PI));
  return f64x2.mul(g, f64x2.add(normalCdf(x), f64x2.mul(x, pdf)));
}

@inline function lo(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function hi(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)); }
@inline function join(a: v128, b: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/** dst[i] = gelu(src[i]) for i in [i0, i1). */
export function geluForward(src: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(src + o);
    v128.store(dst + o, join(geluLanes(lo(v)), geluLanes(hi(v))));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const y = geluLanes(f64x2.splat(<f64>load<f32>(src + o)));
    store<f32>(dst + o, <f32>f64x2.extract_lane(y, 0));
  }
}

/** dst[i] = dout[i] * (Phi(x[i]) + x[i] phi(x[i])) for i in [i0, i1). */
export function geluBackward(dout: usize, x: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dout + o);
    const v = v128.load(x + o);
    v128.store(dst + o, join(geluGradLanes(lo(g), lo(v)), geluGradLanes(hi(g), hi(v))));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const r = geluGradLanes(f64x2.splat(<f64>load<f32>(dout + o)), f64x2.splat(<f64>load<f32>(x + o)));
    store<f32>(dst + o, <f32>f64x2.extract_lane(r, 0));
  }
}
