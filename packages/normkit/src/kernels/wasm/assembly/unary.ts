/**
 * The remaining element-wise functions of `nk.neg/abs/square/sqrt/exp` and
 * the derivatives of those and of `nk.log` (the twins of the 'neg' ... 'log'
 * cases of src/kernels/js/pointwise.ts; GELU, sigmoid, tanh and ReLU have
 * their own files). float32 data in f32x4 lanes, bit-identical to the
 * TypeScript loops, which compute in float64 and round once: a float32
 * product, quotient or square root rounded from float64 equals the float32
 * operation (53 >= 2 x 24 + 2 bits, so the double rounding is innocuous).
 * Two cases compute in f64x2 lanes to stay identical: sqrt's derivative
 * dout (0.5 / y) (two float64 roundings), and exp, whose float64 value from
 * `expv` (~2e-16) rounds to Math.exp's float32 but for the rarest ties.
 *
 * Op codes (src/kernels/wasm/kernels.ts): forward 0 neg, 1 abs, 2 square,
 * 3 sqrt, 4 exp; backward the same and 5 log. Elements [i0, i1).
 */
import { expv } from './expv';
import { hi, join, lo } from './lanes';

// e^x rounded to float32: above 100 (e^100 > FLT_MAX) the result is +inf either way;
// -inf goes to 0 through expv's clamp; NaN propagates through min and expv's arithmetic
@inline function expf4(v: v128): v128 {
  const c = f32x4.pmin(v, f32x4.splat(100.0));
  return join(expv(lo(c)), expv(hi(c)));
}

@inline function fwd(op: i32, v: v128): v128 {
  if (op == 0) return f32x4.neg(v);
  if (op == 1) return f32x4.abs(v);
  if (op == 2) return f32x4.mul(v, v);
  if (op == 3) return f32x4.sqrt(v);
  return expf4(v);
}

// `op` is a constant at each call below, so each inlined copy keeps one case
@inline function forwardLoop(op: i32, src: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, fwd(op, v128.load(src + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, f32x4.extract_lane(fwd(op, f32x4.splat(load<f32>(src + o))), 0));
  }
}

/** dst[i] = op(src[i]) for i in [i0, i1) (dst may be src). */
export function unaryForward(op: i32, src: usize, dst: usize, i0: i32, i1: i32): void {
  if (op == 0) forwardLoop(0, src, dst, i0, i1);
  else if (op == 1) forwardLoop(1, src, dst, i0, i1);
  else if (op == 2) forwardLoop(2, src, dst, i0, i1);
  else if (op == 3) forwardLoop(3, src, dst, i0, i1);
  else forwardLoop(4, src, dst, i0, i1);
}

@inline function bwd(op: i32, d: v128, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.neg(d);
  if (op == 1) {
    // x > 0: dout; x < 0: -dout; 0 and NaN: 0
    const z = f32x4.splat(0);
    return v128.bitselect(d, v128.bitselect(f32x4.neg(d), z, f32x4.lt(x, z)), f32x4.gt(x, z));
  }
  if (op == 2) return f32x4.mul(f32x4.add(d, d), x); // dout * 2 * x: the doubling is exact
  if (op == 3) {
    const h = f64x2.splat(0.5);
    return join(f64x2.mul(lo(d), f64x2.div(h, lo(y))), f64x2.mul(hi(d), f64x2.div(h, hi(y))));
  }
  if (op == 4) return f32x4.mul(d, y);
  return f32x4.div(d, x);
}

@inline function backwardLoop(op: i32, dout: usize, x: usize, y: usize, dst: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    // only the operands the op reads are loaded (x or y may be absent, pointer 0)
    const xv = op == 1 || op == 2 || op == 5 ? v128.load(x + o) : f32x4.splat(0);
    const yv = op == 3 || op == 4 ? v128.load(y + o) : f32x4.splat(0);
    v128.store(dst + o, bwd(op, v128.load(dout + o), xv, yv));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const xv = op == 1 || op == 2 || op == 5 ? f32x4.splat(load<f32>(x + o)) : f32x4.splat(0);
    const yv = op == 3 || op == 4 ? f32x4.splat(load<f32>(y + o)) : f32x4.splat(0);
    store<f32>(dst + o, f32x4.extract_lane(bwd(op, f32x4.splat(load<f32>(dout + o)), xv, yv), 0));
  }
}

/** dst[i] = dout[i] * op'(x[i]), from x (abs, square, log) or y = op(x) (sqrt, exp), i in [i0, i1). */
export function unaryBackward(op: i32, dout: usize, x: usize, y: usize, dst: usize, i0: i32, i1: i32): void {
  if (op == 0) backwardLoop(0, dout, x, y, dst, i0, i1);
  else if (op == 1) backwardLoop(1, dout, x, y, dst, i0, i1);
  else if (op == 2) backwardLoop(2, dout, x, y, dst, i0, i1);
  else if (op == 3) backwardLoop(3, dout, x, y, dst, i0, i1);
  else if (op == 4) backwardLoop(4, dout, x, y, dst, i0, i1);
  else backwardLoop(5, dout, x, y, dst, i0, i1);
}
