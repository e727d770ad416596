/**
 * Dynamic Tanh (Zhu et al. 2025), forward and backward on float32 rows of
 * [N, C]: the twins of src/kernels/js/dyt.ts, in f64x2 lanes with the vector
 * tanh of activations.ts (within ~1e-16 of Math.tanh), so results round to
 * the TypeScript loops' float32 values but for the rarest ties.
 *
 *   y = w tanh(alpha x) + b
 *   dx = dout w alpha (1 - t^2);  dalpha += sum dout w x (1 - t^2)
 *   dw += sum_n dout t;  db += sum_n dout      (f64 accumulators, zeroed by the caller)
 *
 * weight, bias, dinp, dalpha, dweight, dbias: pointer 0 = none. Rows [n0, n1).
 */
import { tanh2 } from './activations';
import { lo, hi, join } from './lanes';

export function dytForward(out: usize, inp: usize, alpha: f64, weight: usize, bias: usize, N: i32, C: i32, n0: i32, n1: i32): void {
  const A = f64x2.splat(alpha);
  const C4 = C & ~3;
  for (let n = n0; n < n1; n++) {
    const x = inp + (<usize>n * <usize>C << 2), y = out + (<usize>n * <usize>C << 2);
    let c = 0;
    for (; c < C4; c += 4) {
      const o = <usize>c << 2;
      const v = v128.load(x + o);
      let t0 = tanh2(f64x2.mul(A, lo(v))), t1 = tanh2(f64x2.mul(A, hi(v)));
      if (weight) { const w = v128.load(weight + o); t0 = f64x2.mul(lo(w), t0); t1 = f64x2.mul(hi(w), t1); }
      if (bias) { const b = v128.load(bias + o); t0 = f64x2.add(t0, lo(b)); t1 = f64x2.add(t1, hi(b)); }
      v128.store(y + o, join(t0, t1));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let t = f64x2.extract_lane(tanh2(f64x2.splat(alpha * <f64>load<f32>(x + o))), 0);
      if (weight) t = <f64>load<f32>(weight + o) * t;
      if (bias) t = t + <f64>load<f32>(bias + o);
      store<f32>(y + o, <f32>t);
    }
  }
}

export function dytBackward(
  dinp: usize, dalpha: usize, dweight: usize, dbias: usize, dout: usize, inp: usize, alpha: f64, weight: usize,
  N: i32, C: i32, n0: i32, n1: i32,
): void {
  const A = f64x2.splat(alpha), ONE = f64x2.splat(1.0);
  let da = f64x2.splat(0);
  let daTail: f64 = 0;
  const C4 = C & ~3;
  for (let n = n0; n < n1; n++) {
    const row = <usize>n * <usize>C << 2;
    const x = inp + row, g = dout + row, d = dinp + row;
    let c = 0;
    for (; c < C4; c += 4) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const xv = v128.load(x + o), gv = v128.load(g + o);
      const x0 = lo(xv), x1 = hi(xv), g0 = lo(gv), g1 = hi(gv);
      const t0 = tanh2(f64x2.mul(A, x0)), t1 = tanh2(f64x2.mul(A, x1));
      let gw0 = g0, gw1 = g1;
      if (weight) { const w = v128.load(weight + o); gw0 = f64x2.mul(g0, lo(w)); gw1 = f64x2.mul(g1, hi(w)); }
      const gt0 = f64x2.mul(gw0, f64x2.sub(ONE, f64x2.mul(t0, t0)));
      const gt1 = f64x2.mul(gw1, f64x2.sub(ONE, f64x2.mul(t1, t1)));
      if (dinp) v128.store(d + o, join(f64x2.mul(gt0, A), f64x2.mul(gt1, A)));
      da = f64x2.add(da, f64x2.add(f64x2.mul(gt0, x0), f64x2.mul(gt1, x1)));
      if (dweight) {
        const p = dweight + o8;
        v128.store(p, f64x2.add(v128.load(p), f64x2.mul(g0, t0)));
        v128.store(p, f64x2.add(v128.load(p, 16), f64x2.mul(g1, t1)), 16);
      }
      if (dbias) {
        const p = dbias + o8;
        v128.store(p, f64x2.add(v128.load(p), g0));
        v128.store(p, f64x2.add(v128.load(p, 16), g1), 16);
      }
    }
    for (; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const xs = <f64>load<f32>(x + o), gs = <f64>load<f32>(g + o);
      const t = f64x2.extract_lane(tanh2(f64x2.splat(alpha * xs)), 0);
      const gt = (weight ? gs * <f64>load<f32>(weight + o) : gs) * (1 - t * t);
      if (dinp) store<f32>(d + o, <f32>(gt * alpha));
      daTail += gt * xs;
      if (dweight) store<f64>(dweight + o8, load<f64>(dweight + o8) + gs * t);
      if (dbias) store<f64>(dbias + o8, load<f64>(dbias + o8) + gs);
    }
  }
  if (dalpha) store<f64>(dalpha, load<f64>(dalpha) + f64x2.extract_lane(da, 0) + f64x2.extract_lane(da, 1) + daTail);
}
