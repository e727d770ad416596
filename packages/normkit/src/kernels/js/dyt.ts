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
 *   dalpha += sum dout * w * x * (1 - t^2)
 *   dw     += sum_n dout * t,   db += sum_n dout
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { defineKernel } from '../backend.js';

/** DyT forward: y[n,c] = w[c] tanh(alpha x[n,c]) + b[c]. */
export const dytForward = defineKernel('dytForward', function dytForwardJs(
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
 * DyT backward: `dinp` overwritten (null: skip); `dalpha` [1], `dweight`,
 * `dbias` accumulated into in float64 (null: skip).
 */
export const dytBackward = defineKernel('dytBackward', function dytBackwardJs(
  dinp: TypedArray | null, dalpha: Float64Array | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, alpha: number, weight: TypedArray | null, N: number, C: number,
): void {
  const dw = dweight ? (dweight instanceof Float64Array ? dweight : new Float64Array(C)) : null;
  const db = dbias ? (dbias instanceof Float64Array ? dbias : new Float64Array(C)) : null;
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
  if (dalpha) dalpha[0] += da;
  if (dweight && dw !== dweight) for (let c = 0; c < C; c++) dweight[c] += dw![c]!;
  if (dbias && db !== dbias) for (let c = 0; c < C; c++) dbias[c] += db![c]!;
});
