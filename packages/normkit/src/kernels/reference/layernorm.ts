/**
 * Float64 reference for LayerNorm (Ba, Kiros & Hinton 2016, "Layer
 * Normalization"): the plain definition on nested loops, the spec the fast
 * kernels are tested against.
 *
 * Shapes: x viewed as [N, C] (C = product of `normalizedShape`), weight/bias [C].
 *
 *   mean_n = (1/C) sum_c x[n,c]
 *   var_n  = (1/C) sum_c (x[n,c] - mean_n)^2          (biased, two passes)
 *   y[n,c] = (x[n,c] - mean_n) / sqrt(var_n + eps) * w[c] + b[c]
 */

/** Output and statistics of the reference forward. */
export interface LayernormRefResult {
  out: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

/** LayerNorm forward over rows of length C, in float64. */
export function layernormRef(
  x: ArrayLike<number>, N: number, C: number,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, eps: number,
): LayernormRefResult {
  const out = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[n * C + c]!;
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[n * C + c]! - m) ** 2;
    v /= C;
    const r = 1 / Math.sqrt(v + eps);
    mean[n] = m;
    rstd[n] = r;
    for (let c = 0; c < C; c++) {
      const xhat = (x[n * C + c]! - m) * r;
      out[n * C + c] = xhat * (weight ? weight[c]! : 1) + (bias ? bias[c]! : 0);
    }
  }
  return { out, mean, rstd };
}

/**
 * LayerNorm backward from the full Jacobian (O(C^2) per row, for tests):
 *   dy_i/dx_j = w_i rstd (delta_ij - 1/C - xhat_i xhat_j / C)
 *   dx_j = sum_i dout_i dy_i/dx_j;  dw_c = sum_n dout xhat;  db_c = sum_n dout
 */
export function layernormBackwardRef(
  dout: ArrayLike<number>, x: ArrayLike<number>, N: number, C: number,
  weight: ArrayLike<number> | null, eps: number,
): { dinp: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const { mean, rstd } = layernormRef(x, N, C, null, null, eps);
  const dinp = new Float64Array(N * C);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const xhat = (c: number) => (x[n * C + c]! - mean[n]!) * rstd[n]!;
    for (let j = 0; j < C; j++) {
      let g = 0;
      for (let i = 0; i < C; i++) {
        const jac = (weight ? weight[i]! : 1) * rstd[n]! * ((i === j ? 1 : 0) - 1 / C - (xhat(i) * xhat(j)) / C);
        g += dout[n * C + i]! * jac;
      }
      dinp[n * C + j] = g;
      dweight[j] += dout[n * C + j]! * xhat(j);
      dbias[j] += dout[n * C + j]!;
    }
  }
  return { dinp, dweight, dbias };
}
