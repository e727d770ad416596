/**
 * Batch normalization (Ioffe & Szegedy 2015, arXiv:1502.03167), forward
 * above backward, in the style of llm.c.
 *
 * Shapes (the input viewed as [N, C, S] around its channel axis):
 *   N      outer size: the batch, times every dim before the channel axis
 *   C      channels (features); statistics are kept per channel
 *   S      spatial size: the product of every dim after the channel axis
 *   inp, out, dinp, dout   [N, C, S] row-major: element (n, c, s) at (n*C + c)*S + s
 *   weight, bias, dweight, dbias   [C] or null (null = no affine: weight 1, bias 0)
 *   mean, rstd             [C], Float64Array (cached statistics, never rounded to float32)
 *   runningMean, runningVar  [C]
 *
 * Per channel c, over the M = N*S values x of that channel:
 *   mean = sum(x) / M,  var = sum((x - mean)^2) / M (biased),  rstd = 1 / sqrt(var + eps)
 *   out  = (x - mean) * rstd * weight + bias
 *
 * Numerics: every channel is shifted by one of its own elements K before
 * accumulating (x - K is exact when x and K are close, so a common offset of
 * 1e6 costs no digits), and the variance is a second pass over the shifted
 * values, all in float64. A constant channel gives var = 0 exactly, so its
 * output is `bias`, never NaN; inputs near 1e30 square to 1e60, far inside
 * float64's range.
 *
 * Signatures (the WebAssembly backend registers the same ones): plain typed
 * arrays (Float32Array or Float64Array for data, Float64Array for mean/rstd)
 * and numbers; outputs are overwritten, never accumulated into.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output, sum } from '../kernel.js';

// ----------------------------------------------------------------------------
// training mode: batch statistics

/**
 * out = batchnorm(inp) with batch statistics; writes the per-channel `mean`
 * and `rstd` (1/sqrt(biased var + eps)) that backward uses.
 */
export const batchnormForwardTrain = declareKernel('batchnormForwardTrain', [
  output('out', 'N*C*S'), output('mean', 'C', { elem: 'f64' }), output('rstd', 'C', { elem: 'f64' }),
  input('inp', 'N*C*S'), input('weight', 'C', { nullable: true }), input('bias', 'C', { nullable: true }),
  int('N'), int('C'), int('S'), num('eps'),
], function batchnormForwardTrainJs(
  out: TypedArray, mean: Float64Array, rstd: Float64Array,
  inp: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  N: number, C: number, S: number, eps: number,
): void {
  const M = N * S;
  const CS = C * S;
  if (S < ROW_SWEEP_MAX_S) {
    forwardTrainRowSweep(out, mean, rstd, inp, weight, bias, N, C, S, eps);
    return;
  }
  for (let c = 0; c < C; c++) {
    const c0 = c * S;
    // shift: one element of this channel
    const K = M > 0 ? inp[c0]! : 0;
    // pass 1: mean of the shifted values
    let s1 = 0;
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) s1 += inp[b + s]! - K;
    }
    const md = M > 0 ? s1 / M : 0; // mean - K
    // pass 2: biased variance around the mean
    let s2 = 0;
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) {
        const d = inp[b + s]! - K - md;
        s2 += d * d;
      }
    }
    const v = M > 0 ? s2 / M : 0;
    const r = 1 / Math.sqrt(v + eps);
    mean[c] = K + md;
    rstd[c] = r;
    // pass 3: normalize, scale and shift (in float64, rounded once on store)
    const w = weight ? weight[c]! : 1;
    const bb = bias ? bias[c]! : 0;
    const sc = r * w;
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) out[b + s] = (inp[b + s]! - K - md) * sc + bb;
    }
  }
});

/**
 * Below this spatial size a channel's runs of S values are too short to read
 * channel by channel (each pass would stride over the whole input), so small-S
 * inputs ([N, C] above all) sweep the input in memory order with per-channel
 * float64 accumulators instead. Same arithmetic, same results.
 */
const ROW_SWEEP_MAX_S = 16;

/** Training forward for small S, sweeping [N, C, S] in memory order. */
function forwardTrainRowSweep(
  out: TypedArray, mean: Float64Array, rstd: Float64Array,
  inp: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  N: number, C: number, S: number, eps: number,
): void {
  const M = N * S;
  const K = new Float64Array(C); // shift per channel: its element (0, c, 0)
  for (let c = 0; c < C; c++) K[c] = M > 0 ? inp[c * S]! : 0;
  // pass 1: sums of shifted values
  const acc = new Float64Array(C);
  let i = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = K[c]!;
      let t = 0;
      for (let s = 0; s < S; s++) t += inp[i++]! - k;
      acc[c] += t;
    }
  }
  const shift = new Float64Array(C); // K + (mean - K): subtracted as two terms below
  for (let c = 0; c < C; c++) {
    acc[c] = M > 0 ? acc[c]! / M : 0; // mean - K
    shift[c] = K[c]!;
  }
  // pass 2: sums of squared deviations
  const sq = new Float64Array(C);
  i = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = K[c]!;
      const md = acc[c]!;
      let t = 0;
      for (let s = 0; s < S; s++) {
        const d = inp[i++]! - k - md;
        t += d * d;
      }
      sq[c] += t;
    }
  }
  const scale = new Float64Array(C);
  const bb = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const r = 1 / Math.sqrt((M > 0 ? sq[c]! / M : 0) + eps);
    mean[c] = K[c]! + acc[c]!;
    rstd[c] = r;
    scale[c] = r * (weight ? weight[c]! : 1);
    bb[c] = bias ? bias[c]! : 0;
  }
  // pass 3: normalize, scale and shift
  i = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = shift[c]!;
      const md = acc[c]!;
      const sc = scale[c]!;
      const b = bb[c]!;
      for (let s = 0; s < S; s++, i++) out[i] = (inp[i]! - k - md) * sc + b;
    }
  }
}

/**
 * Backward of the training-mode forward, through the batch mean and
 * variance. With xhat = (x - mean) * rstd and dxhat = dout * weight:
 *   dbias   = sum(dout)
 *   dweight = sum(dout * xhat)
 *   dinp    = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 *             [direct term, through the mean, through the variance]
 * Any of dinp, dweight, dbias may be null to skip it.
 */
export const batchnormBackward = declareKernel('batchnormBackward', [
  output('dinp', 'N*C*S', { nullable: true }), sum('dweight', 'C', { nullable: true }), sum('dbias', 'C', { nullable: true }),
  input('dout', 'N*C*S'), input('inp', 'N*C*S'), input('weight', 'C', { nullable: true }),
  input('mean', 'C', { elem: 'f64' }), input('rstd', 'C', { elem: 'f64' }), int('N'), int('C'), int('S'),
], function batchnormBackwardJs(
  dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
  mean: Float64Array, rstd: Float64Array,
  N: number, C: number, S: number,
): void {
  const M = N * S;
  const CS = C * S;
  if (S < ROW_SWEEP_MAX_S) {
    backwardRowSweep(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S, true);
    return;
  }
  for (let c = 0; c < C; c++) {
    const c0 = c * S;
    const m = mean[c]!;
    const r = rstd[c]!;
    // pass 1: the two reductions
    let sumDout = 0; // sum(dout)
    let sumDoutXhat = 0; // sum(dout * xhat)
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) {
        const g = dout[b + s]!;
        sumDout += g;
        sumDoutXhat += g * (inp[b + s]! - m) * r;
      }
    }
    if (dbias) dbias[c] = sumDout;
    if (dweight) dweight[c] = sumDoutXhat;
    if (!dinp) continue;
    // pass 2: dinp; mean(dxhat) and mean(dxhat*xhat) are the sums times weight / M
    const w = weight ? weight[c]! : 1;
    const meanDxhat = (w * sumDout) / M;
    const meanDxhatXhat = (w * sumDoutXhat) / M;
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) {
        const xhat = (inp[b + s]! - m) * r;
        dinp[b + s] = r * (w * dout[b + s]! - meanDxhat - xhat * meanDxhatXhat);
      }
    }
  }
});

/**
 * Backward for small S in memory order (see ROW_SWEEP_MAX_S); `throughStats`
 * selects the training formula (gradients through the batch mean and
 * variance) or the evaluation one (constant statistics).
 */
function backwardRowSweep(
  dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
  mean: Float64Array, rstd: Float64Array,
  N: number, C: number, S: number, throughStats: boolean,
): void {
  const M = N * S;
  // pass 1: per-channel sum(dout) and sum(dout * xhat)
  const sumDout = new Float64Array(C);
  const sumDoutXhat = new Float64Array(C);
  let i = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const m = mean[c]!;
      const r = rstd[c]!;
      let sg = 0;
      let sgx = 0;
      for (let s = 0; s < S; s++, i++) {
        const g = dout[i]!;
        sg += g;
        sgx += g * (inp[i]! - m) * r;
      }
      sumDout[c] += sg;
      sumDoutXhat[c] += sgx;
    }
  }
  if (dbias) dbias.set(sumDout);
  if (dweight) dweight.set(sumDoutXhat);
  if (!dinp) return;
  // pass 2: dinp = rstd * (w * dout - mean(dxhat) - xhat * mean(dxhat * xhat)), the
  // last two terms only when the statistics came from this batch
  const wr = new Float64Array(C);
  const a = new Float64Array(C);
  const bcoef = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const w = weight ? weight[c]! : 1;
    wr[c] = w * rstd[c]!;
    a[c] = throughStats ? (rstd[c]! * w * sumDout[c]!) / M : 0;
    bcoef[c] = throughStats ? (rstd[c]! * w * sumDoutXhat[c]!) / M : 0;
  }
  i = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const m = mean[c]!;
      const r = rstd[c]!;
      const k1 = wr[c]!;
      const k2 = a[c]!;
      const k3 = bcoef[c]!;
      for (let s = 0; s < S; s++, i++) dinp[i] = k1 * dout[i]! - k2 - (inp[i]! - m) * r * k3;
    }
  }
}

// ----------------------------------------------------------------------------
// evaluation mode: fixed (running) statistics

/**
 * out = (inp - runningMean) / sqrt(runningVar + eps) * weight + bias, a
 * per-channel affine map. The subtraction comes first (never folded into one
 * multiply-add with a precomputed shift) so large means cost no digits.
 */
export const batchnormForwardEval = declareKernel('batchnormForwardEval', [
  output('out', 'N*C*S'), input('inp', 'N*C*S'), input('runningMean', 'C'), input('runningVar', 'C'),
  input('weight', 'C', { nullable: true }), input('bias', 'C', { nullable: true }), int('N'), int('C'), int('S'), num('eps'),
], function batchnormForwardEvalJs(
  out: TypedArray, inp: TypedArray, runningMean: TypedArray, runningVar: TypedArray,
  weight: TypedArray | null, bias: TypedArray | null,
  N: number, C: number, S: number, eps: number,
): void {
  const CS = C * S;
  if (S < ROW_SWEEP_MAX_S) {
    const mc = new Float64Array(C);
    const scale = new Float64Array(C);
    const bc = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      mc[c] = runningMean[c]!;
      scale[c] = (weight ? weight[c]! : 1) / Math.sqrt(runningVar[c]! + eps);
      bc[c] = bias ? bias[c]! : 0;
    }
    let i = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const m = mc[c]!;
        const sc = scale[c]!;
        const bb = bc[c]!;
        for (let s = 0; s < S; s++, i++) out[i] = (inp[i]! - m) * sc + bb;
      }
    }
    return;
  }
  for (let c = 0; c < C; c++) {
    const c0 = c * S;
    const m = runningMean[c]!;
    const sc = (weight ? weight[c]! : 1) / Math.sqrt(runningVar[c]! + eps);
    const bb = bias ? bias[c]! : 0;
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) out[b + s] = (inp[b + s]! - m) * sc + bb;
    }
  }
});

/**
 * Backward of the evaluation-mode forward, where the statistics are
 * constants: `mean` and `rstd` are the running mean and 1/sqrt(runningVar + eps).
 *   dbias = sum(dout),  dweight = sum(dout * xhat),  dinp = dout * weight * rstd
 */
export const batchnormBackwardEval = declareKernel('batchnormBackwardEval', [
  output('dinp', 'N*C*S', { nullable: true }), sum('dweight', 'C', { nullable: true }), sum('dbias', 'C', { nullable: true }),
  input('dout', 'N*C*S'), input('inp', 'N*C*S'), input('weight', 'C', { nullable: true }),
  input('mean', 'C', { elem: 'f64' }), input('rstd', 'C', { elem: 'f64' }), int('N'), int('C'), int('S'),
], function batchnormBackwardEvalJs(
  dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
  mean: Float64Array, rstd: Float64Array,
  N: number, C: number, S: number,
): void {
  const CS = C * S;
  if (S < ROW_SWEEP_MAX_S) {
    backwardRowSweep(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, S, false);
    return;
  }
  for (let c = 0; c < C; c++) {
    const c0 = c * S;
    const m = mean[c]!;
    const r = rstd[c]!;
    if (dweight || dbias) {
      let sumDout = 0;
      let sumDoutXhat = 0;
      for (let n = 0; n < N; n++) {
        const b = n * CS + c0;
        for (let s = 0; s < S; s++) {
          const g = dout[b + s]!;
          sumDout += g;
          sumDoutXhat += g * (inp[b + s]! - m) * r;
        }
      }
      if (dbias) dbias[c] = sumDout;
      if (dweight) dweight[c] = sumDoutXhat;
    }
    if (!dinp) continue;
    const sc = (weight ? weight[c]! : 1) * r;
    for (let n = 0; n < N; n++) {
      const b = n * CS + c0;
      for (let s = 0; s < S; s++) dinp[b + s] = dout[b + s]! * sc;
    }
  }
});
