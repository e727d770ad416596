/**
 * Float64 reference for batch normalization (Ioffe & Szegedy 2015,
 * arXiv:1502.03167): the plain definitions on nested loops over an
 * [N, C, *] input, the spec the fast kernels are tested against.
 *
 * Training: per channel c, over the batch and spatial dims (M values):
 *   mean = sum(x) / M,  var = sum((x - mean)^2) / M  (biased, used to normalize)
 *   unbiasedVar = var * M / (M - 1)                   (what PyTorch's runningVar accumulates)
 * Evaluation: the given running statistics replace mean and var.
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 */

/** Statistics and output of the reference batch norm. */
export interface BatchnormRefResult {
  out: Float64Array;
  /** Per-channel mean used to normalize. */
  mean: Float64Array;
  /** Per-channel biased variance used to normalize. */
  var: Float64Array;
  /** Per-channel unbiased batch variance (training only; NaN when M = 1). */
  unbiasedVar: Float64Array;
}

/** Index of element (n, c, s) of an [N, C, S] array. */
const at = (n: number, c: number, s: number, C: number, S: number) => (n * C + c) * S + s;

/**
 * Batch norm of `x` with shape [N, C, ...] (channels at dim 1), in float64.
 * When `running` is given, normalizes with it (evaluation mode); otherwise
 * with batch statistics (training mode).
 */
export function batchnormRef(
  x: ArrayLike<number>, shape: readonly number[],
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, eps: number,
  running: { mean: ArrayLike<number>; var: ArrayLike<number> } | null = null,
): BatchnormRefResult {
  const N = shape[0]!;
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * S;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const unbiasedVar = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    if (running) {
      mean[c] = running.mean[c]!;
      variance[c] = running.var[c]!;
      unbiasedVar[c] = NaN;
      continue;
    }
    let s1 = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) s1 += x[at(n, c, s, C, S)]!;
    const m = s1 / M;
    let s2 = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) s2 += (x[at(n, c, s, C, S)]! - m) ** 2;
    mean[c] = m;
    variance[c] = s2 / M;
    unbiasedVar[c] = M > 1 ? s2 / (M - 1) : NaN;
  }
  const out = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const w = weight ? weight[c]! : 1;
      const b = bias ? bias[c]! : 0;
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s, C, S);
        out[i] = ((x[i]! - mean[c]!) / Math.sqrt(variance[c]! + eps)) * w + b;
      }
    }
  }
  return { out, mean, var: variance, unbiasedVar };
}

/**
 * Reference backward of training-mode batch norm, written as the chain rule
 * of the paper (Algorithm 1's derivatives, section 3), term by term:
 *   dxhat = dy * gamma
 *   dvar  = sum(dxhat * (x - mu)) * -1/2 * (var + eps)^(-3/2)
 *   dmu   = sum(dxhat) * -1/sqrt(var + eps) + dvar * sum(-2 (x - mu)) / M
 *   dx    = dxhat / sqrt(var + eps) + dvar * 2 (x - mu) / M + dmu / M
 *   dgamma = sum(dy * xhat),  dbeta = sum(dy)
 */
export function batchnormBackwardRef(
  dout: ArrayLike<number>, x: ArrayLike<number>, shape: readonly number[],
  weight: ArrayLike<number> | null, eps: number,
): { dinp: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const N = shape[0]!;
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * S;
  const { mean, var: variance } = batchnormRef(x, shape, null, null, eps);
  const dinp = new Float64Array(x.length);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const mu = mean[c]!;
    const ve = variance[c]! + eps;
    const g = weight ? weight[c]! : 1;
    let dvar = 0;
    let sumDxhat = 0;
    let sumCentered = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s, C, S);
        const dxhat = dout[i]! * g;
        dvar += dxhat * (x[i]! - mu);
        sumDxhat += dxhat;
        sumCentered += x[i]! - mu;
        dweight[c] += (dout[i]! * (x[i]! - mu)) / Math.sqrt(ve);
        dbias[c] += dout[i]!;
      }
    }
    dvar *= -0.5 * ve ** -1.5;
    const dmu = -sumDxhat / Math.sqrt(ve) + (dvar * -2 * sumCentered) / M;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s, C, S);
        dinp[i] = (dout[i]! * g) / Math.sqrt(ve) + (dvar * 2 * (x[i]! - mu)) / M + dmu / M;
      }
    }
  }
  return { dinp, dweight, dbias };
}
