/**
 * Softmax and log-softmax along one axis, forward above backward.
 *
 * Shapes: x viewed as [outer, D, inner] where D is the softmax axis; each of
 * the outer*inner lines of length D (stride `inner`) is normalized.
 * Stable: subtract the line's max before exp; sums accumulate in float64.
 *
 *   softmax:     y_i = exp(x_i - m) / sum_j exp(x_j - m)
 *   backward:    dx_i = y_i (dy_i - sum_j dy_j y_j)
 *   logSoftmax:  y_i = x_i - m - log(sum_j exp(x_j - m))
 *   backward:    dx_i = dy_i - exp(y_i) sum_j dy_j
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, flag, input, int, output } from '../kernel.js';

/** y = softmax or log-softmax of x over lines [outer, D, inner]. */
export const softmaxForward = declareKernel('softmaxForward', [
  output('out', 'outer*D*inner'), input('inp', 'outer*D*inner'), int('outer'), int('D'), int('inner'), flag('log'),
], function softmaxForwardJs(
  out: TypedArray, inp: TypedArray, outer: number, D: number, inner: number, log: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * D * inner + q;
      let m = -Infinity;
      for (let i = 0; i < D; i++) {
        const v = inp[base + i * inner]!;
        if (v > m) m = v;
      }
      if (m === -Infinity) m = 0; // all -inf: keep exp finite (result NaN-free zeros / -inf)
      let s = 0;
      for (let i = 0; i < D; i++) s += Math.exp(inp[base + i * inner]! - m);
      if (log) {
        const ls = m + Math.log(s);
        for (let i = 0; i < D; i++) out[base + i * inner] = inp[base + i * inner]! - ls;
      } else {
        const r = 1 / s;
        for (let i = 0; i < D; i++) out[base + i * inner] = Math.exp(inp[base + i * inner]! - m) * r;
      }
    }
  }
});

/** dx from dy and the forward output y. */
export const softmaxBackward = declareKernel('softmaxBackward', [
  output('dinp', 'outer*D*inner'), input('dout', 'outer*D*inner'), input('out', 'outer*D*inner'), int('outer'), int('D'), int('inner'), flag('log'),
], function softmaxBackwardJs(
  dinp: TypedArray, dout: TypedArray, out: TypedArray, outer: number, D: number, inner: number, log: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * D * inner + q;
      let s = 0;
      if (log) {
        for (let i = 0; i < D; i++) s += dout[base + i * inner]!;
        for (let i = 0; i < D; i++) {
          const k = base + i * inner;
          dinp[k] = dout[k]! - Math.exp(out[k]!) * s;
        }
      } else {
        for (let i = 0; i < D; i++) s += dout[base + i * inner]! * out[base + i * inner]!;
        for (let i = 0; i < D; i++) {
          const k = base + i * inner;
          dinp[k] = out[k]! * (dout[k]! - s);
        }
      }
    }
  }
});
