/**
 * RMSNorm (Zhang & Sennrich 2019), fused forward above backward.
 *
 * Shapes:
 *   inp, out, dout, dinp : [N, C]
 *   weight, dweight      : [C] (or null)
 *   rstd                 : [N] Float64Array, cached for backward
 *
 *   rstd = 1/sqrt((1/C) sum x^2 + eps),  y = x * rstd * w
 *
 * There is no mean to subtract, so no cancellation; the sum of squares
 * accumulates in float64 (float32 inputs up to 3e38 cannot overflow it).
 * Float64 rows whose sum of squares overflows are recomputed on x / max|x|.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output, sum } from '../kernel.js';

/**
 * RMSNorm forward: fills `out` [N, C] and `rstd` (Float64Array [N]);
 * `weight` [C] may be null.
 */
export const rmsnormForward = declareKernel('rmsnormForward', [
  output('out', 'N*C'), output('rstd', 'N', { elem: 'f64' }), input('inp', 'N*C'), input('weight', 'C', { nullable: true }), int('N'), int('C'), num('eps'),
], function rmsnormForwardJs(
  out: TypedArray, rstd: Float64Array, inp: TypedArray, weight: TypedArray | null, N: number, C: number, eps: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    let s = 0;
    for (let c = 0; c < C; c++) {
      const x = inp[base + c]!;
      s += x * x;
    }
    let scale = 1; // x is read as x * scale, rstd of the scaled row is r
    let r = 1 / Math.sqrt(s / C + eps);
    if (s === Infinity) {
      let amax = 0;
      for (let c = 0; c < C; c++) amax = Math.max(amax, Math.abs(inp[base + c]!));
      if (amax < Infinity) {
        scale = 1 / amax;
        s = 0;
        for (let c = 0; c < C; c++) {
          const x = inp[base + c]! * scale;
          s += x * x;
        }
        r = 1 / Math.sqrt(s / C + eps * scale * scale);
      }
    }
    // x * (r * scale) cannot overflow: |x| <= max|x| and r * scale ~ 1 / max|x|
    const rs = r * scale;
    rstd[n] = rs;
    if (weight) for (let c = 0; c < C; c++) out[base + c] = inp[base + c]! * rs * weight[c]!;
    else for (let c = 0; c < C; c++) out[base + c] = inp[base + c]! * rs;
  }
});

/**
 * RMSNorm backward. With xhat = x rstd and dnorm = dout * w:
 *
 *   dweight  = sum_n dout * xhat
 *   dinp     = rstd * (dnorm - xhat * mean(dnorm * xhat))   (direct term, then through the rms)
 *
 * Both outputs are overwritten (null: skip), like every backward kernel (src/kernels/kernel.ts).
 */
export const rmsnormBackward = declareKernel('rmsnormBackward', [
  output('dinp', 'N*C', { nullable: true }), sum('dweight', 'C', { nullable: true }), input('dout', 'N*C'), input('inp', 'N*C'),
  input('weight', 'C', { nullable: true }), input('rstd', 'N', { elem: 'f64' }), int('N'), int('C'),
], function rmsnormBackwardJs(
  dinp: TypedArray | null, dweight: TypedArray | null, dout: TypedArray, inp: TypedArray,
  weight: TypedArray | null, rstd: Float64Array, N: number, C: number,
): void {
  const dw = dweight ? new Float64Array(C) : null;
  for (let n = 0; n < N; n++) {
    const base = n * C;
    const r = rstd[n]!;
    let sumDX = 0;
    for (let c = 0; c < C; c++) {
      const g = dout[base + c]!;
      const xhat = inp[base + c]! * r;
      sumDX += (weight ? g * weight[c]! : g) * xhat;
      if (dw) dw[c] += g * xhat;
    }
    if (!dinp) continue;
    const meanDX = sumDX / C;
    for (let c = 0; c < C; c++) {
      const xhat = inp[base + c]! * r;
      const dnorm = weight ? dout[base + c]! * weight[c]! : dout[base + c]!;
      dinp[base + c] = (dnorm - xhat * meanDX) * r;
    }
  }
  if (dweight) dweight.set(dw!);
});
