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
import { declareKernel, flag, input, int, num, output } from '../kernel.js';

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

/**
 * The attention scores' scale, causal mask and softmax in one pass (Vaswani
 * et al. 2017, eq. 1: softmax(Q K^T / sqrt(d_k)) with the decoder's mask):
 * rows of D scores, row r holding query t = r % T;
 *
 *   y_s = exp(z_s - m) / sum_{j < v} exp(z_j - m) for s < v, else 0,
 *   z = scale x (rounded to the data's type, as a scaled tensor would be),
 *   v = min(D, t + 1) when causal (key s sees queries t >= s), else D.
 *
 * The same values as softmax(scale * x + M) with M = -inf above each
 * [T, D] slice's diagonal; for a power-of-two scale (d_k = 4, 16, 64, ...)
 * bit for bit the same as scaling q before Q K^T, since such a scale
 * commutes with every rounding. A row of all -inf (impossible with the mask
 * alone: v >= 1) gives zeros, as softmaxForward.
 */
export const attentionSoftmaxForward = declareKernel('attentionSoftmaxForward', [
  output('out', 'rows*D'), input('inp', 'rows*D'), int('rows'), int('D'), int('T'), num('scale'), flag('causal'),
], function attentionSoftmaxForwardJs(
  out: TypedArray, inp: TypedArray, rows: number, D: number, T: number, scale: number, causal: boolean,
): void {
  const round = out instanceof Float32Array ? Math.fround : (v: number) => v;
  for (let r = 0; r < rows; r++) {
    const base = r * D;
    const v = causal ? Math.min(D, (r % T) + 1) : D;
    let m = -Infinity;
    for (let i = 0; i < v; i++) {
      const z = round(scale * inp[base + i]!);
      if (z > m) m = z;
    }
    if (m === -Infinity) m = 0;
    let s = 0;
    for (let i = 0; i < v; i++) s += Math.exp(round(scale * inp[base + i]!) - m);
    const rs = 1 / s;
    for (let i = 0; i < v; i++) out[base + i] = Math.exp(round(scale * inp[base + i]!) - m) * rs;
    out.fill(0, base + v, base + D);
  }
});

/**
 * dx of attentionSoftmaxForward from dy and its output y: dx_s = scale y_s
 * (dy_s - sum_j dy_j y_j) for s < v, else 0 (masked scores get no gradient).
 */
export const attentionSoftmaxBackward = declareKernel('attentionSoftmaxBackward', [
  output('dinp', 'rows*D'), input('dout', 'rows*D'), input('out', 'rows*D'), int('rows'), int('D'), int('T'), num('scale'), flag('causal'),
], function attentionSoftmaxBackwardJs(
  dinp: TypedArray, dout: TypedArray, out: TypedArray, rows: number, D: number, T: number, scale: number, causal: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * D;
    const v = causal ? Math.min(D, (r % T) + 1) : D;
    let s = 0;
    for (let i = 0; i < v; i++) s += dout[base + i]! * out[base + i]!;
    for (let i = 0; i < v; i++) dinp[base + i] = scale * out[base + i]! * (dout[base + i]! - s);
    dinp.fill(0, base + v, base + D);
  }
});
