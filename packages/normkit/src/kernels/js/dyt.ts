/**
 * Dynamic Tanh (Zhu et al. 2025, "Transformers without Normalization"),
 * forward above backward.
 *
 * Shapes:
 *   inp, out, dout, dinp : [N, C]
 *   weight, bias, dweight, dbias : [C] (or null)
 *   alpha : a number (the learnable scalar), dalpha : Float64Array [1] (or null)
 *
 *   y = w * tanh(alpha x) + b
 *   dx     = dout * w * alpha * (1 - t^2),   t = tanh(alpha x)
 *   dalpha = sum dout * w * x * (1 - t^2)
 *   dw     = sum_n dout * t,    db = sum_n dout
 *
 * The wasm backend runs both in f64x2 lanes (assembly/dyt.ts, with the vector
 * tanh of the activation kernels, within ~1e-16 of Math.tanh).
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output, sum } from '../kernel.js';

/** DyT forward: y[n,c] = w[c] tanh(alpha x[n,c]) + b[c]. */
export const dytForward = declareKernel('dytForward', [
  output('out', 'N*C'), input('inp', 'N*C'), num('alpha'), input('weight', 'C', { nullable: true }), input('bias', 'C', { nullable: true }), int('N'), int('C'),
], function dytForwardJs(
  out: TypedArray, inp: TypedArray, alpha: number, weight: TypedArray | null, bias: TypedArray | null, N: number, C: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    for (let c = 0; c < C; c++) {
      const t = Math.tanh(alpha * inp[base + c]!);
      out[base + c] = (weight ? weight[c]! * t : t) + (bias ? bias[c]! : 0);
    }
  }
});

/**
 * DyT backward: every output overwritten (null: skip), like every backward
 * kernel (src/kernels/kernel.ts); `dalpha` [1], `dweight`, `dbias` summed in float64.
 */
export const dytBackward = declareKernel('dytBackward', [
  output('dinp', 'N*C', { nullable: true }), sum('dalpha', '1', { elem: 'f64', nullable: true }), sum('dweight', 'C', { nullable: true }), sum('dbias', 'C', { nullable: true }),
  input('dout', 'N*C'), input('inp', 'N*C'), num('alpha'), input('weight', 'C', { nullable: true }), int('N'), int('C'),
], function dytBackwardJs(
  dinp: TypedArray | null, dalpha: Float64Array | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, alpha: number, weight: TypedArray | null, N: number, C: number,
): void {
  const dw = dweight ? new Float64Array(C) : null;
  const db = dbias ? new Float64Array(C) : null;
  let da = 0;
  for (let n = 0; n < N; n++) {
    const base = n * C;
    for (let c = 0; c < C; c++) {
      const g = dout[base + c]!;
      const x = inp[base + c]!;
      const t = Math.tanh(alpha * x);
      const gt = (weight ? g * weight[c]! : g) * (1 - t * t); // d/d(alpha x)
      if (dinp) dinp[base + c] = gt * alpha;
      da += gt * x;
      if (dw) dw[c] += g * t;
      if (db) db[c] += g;
    }
  }
  if (dalpha) dalpha[0] = da;
  if (dweight) dweight.set(dw!);
  if (dbias) dbias.set(db!);
});
