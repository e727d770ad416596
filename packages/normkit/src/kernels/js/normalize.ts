/**
 * Lp normalization along one axis (torch.nn.functional.normalize), forward
 * above backward.
 *
 * Shapes:
 *   inp, out, dout, dinp : [outer, D, inner], lines of length D with stride inner
 *   norm : [outer, inner] Float64Array, ||v||_p of each line (before the eps clamp)
 *
 *   y = v / max(||v||_p, eps)
 *   dx_j = dout_j / den - [norm >= eps] (sum_i dout_i v_i) / den^2 * dnorm/dv_j,   den = max(norm, eps)
 *   dnorm/dv_j = sign(v_j) (|v_j| / norm)^(p-1)   (p = inf: sign(v_j) shared among the maxima)
 *
 * The norm is computed as max|v| * (sum (|v|/max|v|)^p)^(1/p), so lines of
 * 1e30-scale (or 1e200-scale float64) values do not overflow.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output } from '../kernel.js';

/** Lp-normalize each line; fills `out` and the per-line `norm`. `p` > 0 or Infinity. */
export const normalizeForward = declareKernel('normalizeForward', [
  output('out', 'outer*D*inner'), output('norm', 'outer*inner', { elem: 'f64' }), input('inp', 'outer*D*inner'), int('outer'), int('D'), int('inner'), num('p'), num('eps'),
], function normalizeForwardJs(
  out: TypedArray, norm: Float64Array, inp: TypedArray, outer: number, D: number, inner: number, p: number, eps: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * D * inner + q;
      let amax = 0;
      for (let i = 0; i < D; i++) {
        const a = Math.abs(inp[base + i * inner]!);
        if (a > amax || Number.isNaN(a)) amax = a;
      }
      let nrm: number;
      if (p === Infinity || amax === 0 || !Number.isFinite(amax)) nrm = amax;
      else if (p === 2) {
        let s = 0;
        const inv = 1 / amax;
        for (let i = 0; i < D; i++) {
          const a = inp[base + i * inner]! * inv;
          s += a * a;
        }
        nrm = amax * Math.sqrt(s);
      } else if (p === 1) {
        let s = 0;
        for (let i = 0; i < D; i++) s += Math.abs(inp[base + i * inner]!);
        nrm = s;
      } else {
        let s = 0;
        const inv = 1 / amax;
        for (let i = 0; i < D; i++) s += Math.pow(Math.abs(inp[base + i * inner]!) * inv, p);
        nrm = amax * Math.pow(s, 1 / p);
      }
      norm[o * inner + q] = nrm;
      const r = 1 / Math.max(nrm, eps);
      for (let i = 0; i < D; i++) out[base + i * inner] = inp[base + i * inner]! * r;
    }
  }
});

/** Backward of Lp normalization: `dinp` overwritten, from `dout`, the input and the cached `norm`. */
export const normalizeBackward = declareKernel('normalizeBackward', [
  output('dinp', 'outer*D*inner'), input('dout', 'outer*D*inner'), input('inp', 'outer*D*inner'), input('norm', 'outer*inner', { elem: 'f64' }),
  int('outer'), int('D'), int('inner'), num('p'), num('eps'),
], function normalizeBackwardJs(
  dinp: TypedArray, dout: TypedArray, inp: TypedArray, norm: Float64Array,
  outer: number, D: number, inner: number, p: number, eps: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * D * inner + q;
      const nrm = norm[o * inner + q]!;
      const den = Math.max(nrm, eps);
      const r = 1 / den;
      // the clamp max(norm, eps) passes no gradient to the norm when eps wins
      const through = nrm >= eps && nrm > 0;
      let dot = 0;
      if (through) for (let i = 0; i < D; i++) dot += dout[base + i * inner]! * inp[base + i * inner]!;
      const c = dot * r * r;
      let ties = 0;
      if (through && p === Infinity) for (let i = 0; i < D; i++) if (Math.abs(inp[base + i * inner]!) === nrm) ties++;
      for (let i = 0; i < D; i++) {
        const k = base + i * inner;
        const v = inp[k]!;
        let dn = 0;
        if (through && v !== 0) {
          if (p === 2) dn = v / nrm;
          else if (p === 1) dn = Math.sign(v);
          else if (p === Infinity) dn = Math.abs(v) === nrm ? Math.sign(v) / ties : 0;
          else dn = Math.sign(v) * Math.pow(Math.abs(v) / nrm, p - 1);
        }
        dinp[k] = dout[k]! * r - c * dn;
      }
    }
  }
});
