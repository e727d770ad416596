/**
 * Sigmoid, tanh and ReLU on float32, forward and backward: the WebAssembly
 * twins of those loops in src/kernels/js/pointwise.ts. Sigmoid and tanh are
 * computed in f64 lanes with the vector exp of expv.ts and rounded once to
 * float32, as the TypeScript loops round Math.exp's f64 results; their
 * backward rules (from y = f(x)) and ReLU are the same f64 / f32 arithmetic
 * as the loops, so those agree bit for bit.
 *
 * op: 0 sigmoid, 1 tanh, 2 relu. Elements [i0, i1).
 */
import { expv } from './expv';
import { lo, hi, join } from './lanes';

// 1 / (1 + e^-v) for v >= 0, e^v / (1 + e^v) below (no overflow either way)
@inline function sigmoid2(v: v128): v128 {
  const e = expv(f64x2.neg(f64x2.abs(v)));
  const d = f64x2.add(f64x2.splat(1.0), e);
  return v128.bitselect(f64x2.div(f64x2.splat(1.0), d), f64x2.div(e, d), f64x2.ge(v, f64x2.splat(0.0)));
}

// sign(v) (1 - 2 / (e^(2|v|) + 1)), |v| capped at 20 (tanh = 1 to 1e-17 there);
// below |v| = 0.01 the series v - v^3/3 + 2v^5/15 - 17v^7/315 (error < v^9 / 20)
@inline export function tanh2(v: v128): v128 {
  const a = f64x2.pmin(f64x2.abs(v), f64x2.splat(20.0));
  const t = f64x2.sub(f64x2.splat(1.0), f64x2.div(f64x2.splat(2.0), f64x2.add(expv(f64x2.add(a, a)), f64x2.splat(1.0))));
  const big = v128.bitselect(f64x2.neg(t), t, f64x2.lt(v, f64x2.splat(0.0)));
  const v2 = f64x2.mul(v, v);
  const poly = f64x2.add(f64x2.splat(-1.0 / 3.0), f64x2.mul(v2, f64x2.add(f64x2.splat(2.0 / 15.0), f64x2.mul(v2, f64x2.splat(-17.0 / 315.0)))));
  const small = f64x2.add(v, f64x2.mul(f64x2.mul(v, v2), poly));
  // NaN lanes: both comparisons false, `big` carries the NaN
  return v128.bitselect(small, big, f64x2.lt(f64x2.abs(v), f64x2.splat(0.01)));
}

@inline function fwd2(op: i32, v: v128): v128 {
  return op == 0 ? sigmoid2(v) : tanh2(v);
}

/** dst[i] = op(src[i]) for i in [i0, i1) (dst may be src). */
export function activationForward(op: i32, src: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  if (op == 2) {
    const z = f32x4.splat(0);
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(src + o);
      v128.store(dst + o, v128.bitselect(v, z, f32x4.gt(v, z)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(src + o);
      store<f32>(dst + o, v > 0 ? v : 0);
    }
    return;
  }
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(src + o);
    v128.store(dst + o, join(fwd2(op, lo(v)), fwd2(op, hi(v))));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, <f32>f64x2.extract_lane(fwd2(op, f64x2.splat(<f64>load<f32>(src + o))), 0));
  }
}

// dout * s (1 - s) (sigmoid) or dout * (1 - t^2) (tanh), in f64 from y = f(x)
@inline function bwd2(op: i32, g: v128, y: v128): v128 {
  if (op == 0) return f64x2.mul(g, f64x2.mul(y, f64x2.sub(f64x2.splat(1.0), y)));
  return f64x2.mul(g, f64x2.sub(f64x2.splat(1.0), f64x2.mul(y, y)));
}

/** dst[i] = dout[i] * op'(x[i]) from x (relu) or y = op(x) (sigmoid, tanh), i in [i0, i1). */
export function activationBackward(op: i32, dout: usize, x: usize, y: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  if (op == 2) {
    const z = f32x4.splat(0);
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, v128.bitselect(v128.load(dout + o), z, f32x4.gt(v128.load(x + o), z)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(dst + o, load<f32>(x + o) > 0 ? load<f32>(dout + o) : 0);
    }
    return;
  }
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dout + o), t = v128.load(y + o);
    v128.store(dst + o, join(bwd2(op, lo(g), lo(t)), bwd2(op, hi(g), hi(t))));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const r = bwd2(op, f64x2.splat(<f64>load<f32>(dout + o)), f64x2.splat(<f64>load<f32>(y + o)));
    store<f32>(dst + o, <f32>f64x2.extract_lane(r, 0));
  }
}
