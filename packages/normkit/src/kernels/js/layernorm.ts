/**
 * LayerNorm (Ba, Kiros & Hinton 2016), fused forward above backward, in the
 * llm.c style.
 *
 * Shapes:
 *   inp, out, dout, dinp : [N, C]   (N rows = product of the leading dims,
 *                                    C = product of `normalizedShape`)
 *   weight, bias, dweight, dbias : [C] (or null when there is no affine part)
 *   mean, rstd : [N] Float64Array, the cached statistics backward reuses
 *
 *   mean = (1/C) sum x,  var = (1/C) sum (x - mean)^2 (biased),  rstd = 1/sqrt(var + eps)
 *   y = (x - mean) * rstd * w + b
 *
 * Numerics (see SEMANTICS "Known failure modes"): each row is shifted by its
 * first element K before accumulating (x - K is exact when x and K are
 * close, so a large common offset does not eat the digits of the spread),
 * then two passes in float64: the shifted mean, then the variance around it.
 * The mean is kept in float64: rounding it to float32 and subtracting later
 * would lose the digits again. When a row's variance overflows float64 (only
 * possible for float64 inputs beyond ~1e150), the row is recomputed on a copy
 * scaled by its max |x|.
 *
 * Both kernels take plain typed arrays and numbers so that the WebAssembly
 * backend can register replacements with the same signatures.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output, sum } from '../kernel.js';

/** Row n of a LayerNorm forward when the plain path overflowed: everything on x / max|x|. */
function layernormRowScaled(
  out: TypedArray, mean: Float64Array, rstd: Float64Array, inp: TypedArray,
  weight: TypedArray | null, bias: TypedArray | null, n: number, C: number, eps: number,
): boolean {
  const base = n * C;
  let amax = 0;
  for (let c = 0; c < C; c++) amax = Math.max(amax, Math.abs(inp[base + c]!));
  if (!(amax > 0 && amax < Infinity)) return false; // inf/NaN inputs: let them propagate
  const inv = 1 / amax;
  const K = inp[base]! * inv;
  let s = 0;
  for (let c = 0; c < C; c++) s += inp[base + c]! * inv - K;
  const ms = s / C;
  let v = 0;
  for (let c = 0; c < C; c++) {
    const d = inp[base + c]! * inv - K - ms;
    v += d * d;
  }
  // var(x) + eps = amax^2 (var(x/amax) + eps/amax^2)
  const r = 1 / Math.sqrt(v / C + eps * inv * inv);
  mean[n] = (K + ms) * amax;
  rstd[n] = r * inv;
  for (let c = 0; c < C; c++) {
    const xhat = (inp[base + c]! * inv - K - ms) * r;
    out[base + c] = (weight ? xhat * weight[c]! : xhat) + (bias ? bias[c]! : 0);
  }
  return true;
}

/**
 * LayerNorm forward: fills `out` [N, C] and the per-row `mean`, `rstd`
 * (Float64Array [N]). `weight`/`bias` [C] may be null (no affine part).
 */
export const layernormForward = declareKernel('layernormForward', [
  output('out', 'N*C'), output('mean', 'N', { elem: 'f64' }), output('rstd', 'N', { elem: 'f64' }), input('inp', 'N*C'),
  input('weight', 'C', { nullable: true }), input('bias', 'C', { nullable: true }), int('N'), int('C'), num('eps'),
], function layernormForwardJs(
  out: TypedArray, mean: Float64Array, rstd: Float64Array, inp: TypedArray,
  weight: TypedArray | null, bias: TypedArray | null, N: number, C: number, eps: number,
): void {
  for (let n = 0; n < N; n++) {
    const base = n * C;
    // pass 1: mean of the row shifted by its first element
    const K = inp[base]!;
    let s = 0;
    for (let c = 0; c < C; c++) s += inp[base + c]! - K;
    const ms = s / C;
    // pass 2: biased variance around it
    let v = 0;
    for (let c = 0; c < C; c++) {
      const d = inp[base + c]! - K - ms;
      v += d * d;
    }
    v /= C;
    if (!Number.isFinite(v) && layernormRowScaled(out, mean, rstd, inp, weight, bias, n, C, eps)) continue;
    const r = 1 / Math.sqrt(v + eps);
    mean[n] = K + ms;
    rstd[n] = r;
    // normalize, then scale and shift; xhat uses the shifted values so no digits are lost
    if (weight && bias) {
      for (let c = 0; c < C; c++) out[base + c] = (inp[base + c]! - K - ms) * r * weight[c]! + bias[c]!;
    } else if (weight) {
      for (let c = 0; c < C; c++) out[base + c] = (inp[base + c]! - K - ms) * r * weight[c]!;
    } else if (bias) {
      for (let c = 0; c < C; c++) out[base + c] = (inp[base + c]! - K - ms) * r + bias[c]!;
    } else {
      for (let c = 0; c < C; c++) out[base + c] = (inp[base + c]! - K - ms) * r;
    }
  }
});

/**
 * LayerNorm backward (llm.c's formula). With xhat = (x - mean) rstd and
 * dnorm = dout * w:
 *
 *   dbias    = sum_n dout
 *   dweight  = sum_n dout * xhat
 *   dinp     = rstd * (dnorm                    direct term
 *                      - mean(dnorm)            through the mean
 *                      - xhat * mean(dnorm * xhat))  through the variance
 *
 * Every output is overwritten (null: skip it), like every backward kernel
 * (src/kernels/kernel.ts); `dweight`/`dbias` are summed over rows in float64.
 */
export const layernormBackward = declareKernel('layernormBackward', [
  output('dinp', 'N*C', { nullable: true }), sum('dweight', 'C', { nullable: true }), sum('dbias', 'C', { nullable: true }),
  input('dout', 'N*C'), input('inp', 'N*C'), input('weight', 'C', { nullable: true }),
  input('mean', 'N', { elem: 'f64' }), input('rstd', 'N', { elem: 'f64' }), int('N'), int('C'),
], function layernormBackwardJs(
  dinp: TypedArray | null, dweight: TypedArray | null, dbias: TypedArray | null,
  dout: TypedArray, inp: TypedArray, weight: TypedArray | null,
  mean: Float64Array, rstd: Float64Array, N: number, C: number,
): void {
  const dw = dweight ? new Float64Array(C) : null;
  const db = dbias ? new Float64Array(C) : null;
  for (let n = 0; n < N; n++) {
    const base = n * C;
    const m = mean[n]!;
    const r = rstd[n]!;
    let sumD = 0;
    let sumDX = 0;
    for (let c = 0; c < C; c++) {
      const g = dout[base + c]!;
      const xhat = (inp[base + c]! - m) * r;
      const dnorm = weight ? g * weight[c]! : g;
      sumD += dnorm;
      sumDX += dnorm * xhat;
      if (dw) dw[c] += g * xhat;
      if (db) db[c] += g;
    }
    if (!dinp) continue;
    const meanD = sumD / C;
    const meanDX = sumDX / C;
    for (let c = 0; c < C; c++) {
      const xhat = (inp[base + c]! - m) * r;
      const dnorm = weight ? dout[base + c]! * weight[c]! : dout[base + c]!;
      dinp[base + c] = (dnorm - meanD - xhat * meanDX) * r;
    }
  }
  if (dweight) dweight.set(dw!);
  if (dbias) dbias.set(db!);
});
