/**
 * Group normalization (Wu & He 2018, arXiv:1803.08494), forward above
 * backward, fused: statistics, normalization and the per-channel affine in
 * one kernel. Instance normalization (Ulyanov et al. 2016, arXiv:1607.08022)
 * is this kernel with G = C (one channel per group).
 *
 * Shapes:
 *   N      batch
 *   C      channels, split into G groups of Cg = C / G consecutive channels
 *   S      spatial size (product of the dims after the channel axis)
 *   G      number of groups
 *   inp, out, dinp, dout   [N, C, S] row-major = [N*G, Cg*S]: each group of
 *                          one sample is one contiguous row of D = Cg*S values
 *   weight, bias, dweight, dbias   [C] (per channel, as PyTorch) or null
 *   mean, rstd             [N, G], Float64Array (cached statistics)
 *
 * Per row (n, g):
 *   mean = sum(x) / D,  var = sum((x - mean)^2) / D (biased),  rstd = 1/sqrt(var + eps)
 *   out[n, c, s] = (x - mean) * rstd * weight[c] + bias[c]
 *
 * Numerics as the batch-norm kernel: each row is shifted by its first
 * element and both passes accumulate in float64, so offsets of 1e6, constant
 * rows (output = bias, not NaN) and inputs near 1e30 are all exact enough.
 *
 * Signatures (the WebAssembly backend registers the same ones): plain typed
 * arrays and numbers; outputs are overwritten, never accumulated into.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output, sum } from '../kernel.js';

/** out = groupnorm(inp); writes the per-(sample, group) `mean` and `rstd` that backward uses. */
export const groupnormForward = declareKernel('groupnormForward', [
  output('out', 'N*C*S'), output('mean', 'N*G', { elem: 'f64' }), output('rstd', 'N*G', { elem: 'f64' }),
  input('inp', 'N*C*S'), input('weight', 'C', { nullable: true }), input('bias', 'C', { nullable: true }),
  int('N'), int('C'), int('S'), int('G'), num('eps'),
], function groupnormForwardJs(
  out: TypedArray, mean: Float64Array, rstd: Float64Array,
  inp: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  N: number, C: number, S: number, G: number, eps: number,
): void {
  const Cg = C / G;
  const D = Cg * S;
  for (let row = 0; row < N * G; row++) {
    const b = row * D;
    const K = D > 0 ? inp[b]! : 0; // shift by the row's first element
    // pass 1: mean of the shifted values
    let s1 = 0;
    for (let i = 0; i < D; i++) s1 += inp[b + i]! - K;
    const md = D > 0 ? s1 / D : 0; // mean - K
    // pass 2: biased variance
    let s2 = 0;
    for (let i = 0; i < D; i++) {
      const d = inp[b + i]! - K - md;
      s2 += d * d;
    }
    const r = 1 / Math.sqrt((D > 0 ? s2 / D : 0) + eps);
    mean[row] = K + md;
    rstd[row] = r;
    // pass 3: normalize, then the per-channel affine
    const c0 = (row % G) * Cg;
    for (let j = 0; j < Cg; j++) {
      const c = c0 + j;
      const sc = r * (weight ? weight[c]! : 1);
      const bb = bias ? bias[c]! : 0;
      const o = b + j * S;
      for (let s = 0; s < S; s++) out[o + s] = (inp[o + s]! - K - md) * sc + bb;
    }
  }
});

/**
 * Backward through the per-row mean and variance. With xhat = (x - mean) * rstd
 * and dxhat = dout * weight[c], per row of D values:
 *   dinp    = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 *             [direct term, through the mean, through the variance]
 *   dweight[c] = sum over n, s of dout * xhat;  dbias[c] = sum over n, s of dout
 * Any of dinp, dweight, dbias may be null to skip it.
 */
export const groupnormBackward = declareKernel('groupnormBackward', [
  output('dinp', 'N*C*S', { nullable: true }), sum('dweight', 'C', { nullable: true }), sum('dbias', 'C', { nullable: true }),
  input('dout', 'N*C*S'), input('inp', 'N*C*S'), input('weight', 'C', { nullable: true }),
  input('mean', 'N*G', { elem: 'f64' }), input('rstd', 'N*G', { elem: 'f64' }), int('N'), int('C'), int('S'), int('G'),
], function groupnormBackwardJs(
  dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
  mean: Float64Array, rstd: Float64Array,
  N: number, C: number, S: number, G: number,
): void {
  const Cg = C / G;
  const D = Cg * S;
  // per-channel sums over the batch, in float64 until the end
  const accW = dweight ? new Float64Array(C) : null;
  const accB = dbias ? new Float64Array(C) : null;
  for (let row = 0; row < N * G; row++) {
    const b = row * D;
    const m = mean[row]!;
    const r = rstd[row]!;
    const c0 = (row % G) * Cg;
    // pass 1: sum(dxhat) and sum(dxhat * xhat) over the row, and the parameter sums
    let sumDxhat = 0;
    let sumDxhatXhat = 0;
    for (let j = 0; j < Cg; j++) {
      const c = c0 + j;
      const w = weight ? weight[c]! : 1;
      const o = b + j * S;
      let sg = 0; // sum(dout) over this channel's S values
      let sgx = 0; // sum(dout * xhat)
      for (let s = 0; s < S; s++) {
        const g = dout[o + s]!;
        sg += g;
        sgx += g * (inp[o + s]! - m) * r;
      }
      sumDxhat += w * sg;
      sumDxhatXhat += w * sgx;
      if (accB) accB[c] += sg;
      if (accW) accW[c] += sgx;
    }
    if (!dinp) continue;
    // pass 2: dinp
    const meanDxhat = sumDxhat / D;
    const meanDxhatXhat = sumDxhatXhat / D;
    for (let j = 0; j < Cg; j++) {
      const w = weight ? weight[c0 + j]! : 1;
      const o = b + j * S;
      for (let s = 0; s < S; s++) {
        const xhat = (inp[o + s]! - m) * r;
        dinp[o + s] = r * (w * dout[o + s]! - meanDxhat - xhat * meanDxhatXhat);
      }
    }
  }
  if (dweight && accW) dweight.set(accW);
  if (dbias && accB) dbias.set(accB);
});
