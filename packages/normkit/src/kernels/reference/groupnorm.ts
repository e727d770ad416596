/**
 * Float64 reference for group normalization (Wu & He 2018,
 * arXiv:1803.08494), written as tinygrad writes it: reshape [N, C, *] to
 * rows [N*G, (C/G)*S], normalize each row (mean and biased variance of the
 * row), reshape back, then apply the per-channel weight and bias.
 */

/** Row-wise normalization of a [rows, D] array: (x - mean) / sqrt(var + eps), biased var. */
export function normalizeRowsRef(x: ArrayLike<number>, rows: number, D: number, eps: number): { out: Float64Array; mean: Float64Array; var: Float64Array } {
  const out = new Float64Array(rows * D);
  const mean = new Float64Array(rows);
  const variance = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s1 = 0;
    for (let i = 0; i < D; i++) s1 += x[r * D + i]!;
    const m = s1 / D;
    let s2 = 0;
    for (let i = 0; i < D; i++) s2 += (x[r * D + i]! - m) ** 2;
    const v = s2 / D;
    mean[r] = m;
    variance[r] = v;
    for (let i = 0; i < D; i++) out[r * D + i] = (x[r * D + i]! - m) / Math.sqrt(v + eps);
  }
  return { out, mean, var: variance };
}

/** Per-channel affine y[n, c, s] = x[n, c, s] * weight[c] + bias[c], in place on `y`. */
export function channelAffineRef(y: Float64Array, N: number, C: number, S: number, weight: ArrayLike<number> | null, bias: ArrayLike<number> | null): Float64Array {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        y[i] = y[i]! * (weight ? weight[c]! : 1) + (bias ? bias[c]! : 0);
      }
    }
  }
  return y;
}

/** Group norm of `x` with shape [N, C, ...] in float64; mean/var are per (sample, group), [N*G]. */
export function groupnormRef(
  x: ArrayLike<number>, shape: readonly number[], G: number,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, eps: number,
): { out: Float64Array; mean: Float64Array; var: Float64Array } {
  const N = shape[0]!;
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  // reshape [N, C, S] -> [N*G, (C/G)*S]: row-major, so the same flat array
  const rows = normalizeRowsRef(x, N * G, (C / G) * S, eps);
  // reshape back and apply the per-channel affine
  channelAffineRef(rows.out, N, C, S, weight, bias);
  return rows;
}

/**
 * Reference backward of group norm through the row statistics, by the chain
 * rule term by term (as in the batch-norm paper, with the row as the batch):
 *   dvar = sum(dxhat (x - mu)) * -1/2 (var + eps)^(-3/2)
 *   dmu  = -sum(dxhat) / sqrt(var + eps) + dvar * sum(-2 (x - mu)) / D
 *   dx   = dxhat / sqrt(var + eps) + dvar * 2 (x - mu) / D + dmu / D
 */
export function groupnormBackwardRef(
  dout: ArrayLike<number>, x: ArrayLike<number>, shape: readonly number[], G: number,
  weight: ArrayLike<number> | null, eps: number,
): { dinp: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const N = shape[0]!;
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const Cg = C / G;
  const D = Cg * S;
  const { mean, var: variance } = normalizeRowsRef(x, N * G, D, eps);
  const dinp = new Float64Array(x.length);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  const chan = (i: number) => Math.floor(i / S) % C;
  for (let r = 0; r < N * G; r++) {
    const mu = mean[r]!;
    const ve = variance[r]! + eps;
    let dvar = 0;
    let sumDxhat = 0;
    let sumCentered = 0;
    for (let i = r * D; i < (r + 1) * D; i++) {
      const c = chan(i);
      const dxhat = dout[i]! * (weight ? weight[c]! : 1);
      dvar += dxhat * (x[i]! - mu);
      sumDxhat += dxhat;
      sumCentered += x[i]! - mu;
      dweight[c] += (dout[i]! * (x[i]! - mu)) / Math.sqrt(ve);
      dbias[c] += dout[i]!;
    }
    dvar *= -0.5 * ve ** -1.5;
    const dmu = -sumDxhat / Math.sqrt(ve) + (dvar * -2 * sumCentered) / D;
    for (let i = r * D; i < (r + 1) * D; i++) {
      const dxhat = dout[i]! * (weight ? weight[chan(i)]! : 1);
      dinp[i] = dxhat / Math.sqrt(ve) + (dvar * 2 * (x[i]! - mu)) / D + dmu / D;
    }
  }
  return { dinp, dweight, dbias };
}
