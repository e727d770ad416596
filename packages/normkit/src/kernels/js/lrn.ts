/**
 * Local Response Normalization (Krizhevsky et al. 2012), PyTorch's formula,
 * forward above backward.
 *
 * Shapes:
 *   inp, out, dout, dinp : [N, C, S]  (S = product of the spatial dims)
 *   scale : [N, C, S] Float64Array, the cached base of the power
 *
 *   scale[c] = k + alpha/size * sum_{j in W(c)} x[j]^2,
 *   W(c) = [c - floor(size/2), c + floor((size-1)/2)] clipped to [0, C)  (zero padding)
 *   y[c] = x[c] * scale[c]^-beta
 *   dx[j] = dout[j] scale[j]^-beta
 *           - 2 alpha beta / size * x[j] * sum_{c: j in W(c)} dout[c] x[c] scale[c]^(-beta-1)
 *
 * Window sums are recomputed per channel rather than slid: a running
 * add/subtract would cancel when a large channel leaves the window, and
 * `size` is small (2-5 in practice).
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output } from '../kernel.js';

/** LRN forward: fills `out` and the per-element `scale`. */
export const lrnForward = declareKernel('lrnForward', [
  output('out', 'N*C*S'), output('scale', 'N*C*S', { elem: 'f64' }), input('inp', 'N*C*S'),
  int('N'), int('C'), int('S'), int('size'), num('alpha'), num('beta'), num('k'),
], function lrnForwardJs(
  out: TypedArray, scale: Float64Array, inp: TypedArray,
  N: number, C: number, S: number, size: number, alpha: number, beta: number, k: number,
): void {
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  const f = alpha / size;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const lo = Math.max(0, c - before);
      const hi = Math.min(C - 1, c + after);
      const row = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        let sq = 0;
        for (let j = lo; j <= hi; j++) {
          const v = inp[(n * C + j) * S + s]!;
          sq += v * v;
        }
        const sc = k + f * sq;
        scale[row + s] = sc;
        out[row + s] = inp[row + s]! * Math.pow(sc, -beta);
      }
    }
  }
});

/** LRN backward: `dinp` overwritten, from `dout`, the input and the cached `scale`. */
export const lrnBackward = declareKernel('lrnBackward', [
  output('dinp', 'N*C*S'), input('dout', 'N*C*S'), input('inp', 'N*C*S'), input('scale', 'N*C*S', { elem: 'f64' }),
  int('N'), int('C'), int('S'), int('size'), num('alpha'), num('beta'),
], function lrnBackwardJs(
  dinp: TypedArray, dout: TypedArray, inp: TypedArray, scale: Float64Array,
  N: number, C: number, S: number, size: number, alpha: number, beta: number,
): void {
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  const f = (2 * alpha * beta) / size;
  const t = new Float64Array(C * S); // dout[c] x[c] scale[c]^(-beta-1) for one sample
  for (let n = 0; n < N; n++) {
    const off = n * C * S;
    for (let i = 0; i < C * S; i++) t[i] = dout[off + i]! * inp[off + i]! * Math.pow(scale[off + i]!, -beta - 1);
    for (let j = 0; j < C; j++) {
      // channels c whose window holds j: c - before <= j <= c + after
      const lo = Math.max(0, j - after);
      const hi = Math.min(C - 1, j + before);
      for (let s = 0; s < S; s++) {
        let acc = 0;
        for (let c = lo; c <= hi; c++) acc += t[c * S + s]!;
        const i = off + j * S + s;
        dinp[i] = dout[i]! * Math.pow(scale[i]!, -beta) - f * inp[i]! * acc;
      }
    }
  }
});
