/**
 * Float64 reference for RMSNorm (Zhang & Sennrich 2019, "Root Mean Square
 * Layer Normalization"), as in LLaMA: no re-centering.
 *
 * Shapes: x viewed as [N, C], weight [C].
 *
 *   rms_n  = sqrt((1/C) sum_c x[n,c]^2 + eps)
 *   y[n,c] = x[n,c] / rms_n * w[c]
 */

/** RMSNorm forward in float64; returns the output and rstd = 1/rms per row. */
export function rmsnormRef(
  x: ArrayLike<number>, N: number, C: number, weight: ArrayLike<number> | null, eps: number,
): { out: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(N * C);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[n * C + c]! ** 2;
    const r = 1 / Math.sqrt(s / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) out[n * C + c] = x[n * C + c]! * r * (weight ? weight[c]! : 1);
  }
  return { out, rstd };
}

/**
 * RMSNorm backward from the full Jacobian (O(C^2) per row, for tests):
 *   dy_i/dx_j = w_i rstd (delta_ij - xhat_i xhat_j / C),  xhat = x rstd
 */
export function rmsnormBackwardRef(
  dout: ArrayLike<number>, x: ArrayLike<number>, N: number, C: number, weight: ArrayLike<number> | null, eps: number,
): { dinp: Float64Array; dweight: Float64Array } {
  const { rstd } = rmsnormRef(x, N, C, null, eps);
  const dinp = new Float64Array(N * C);
  const dweight = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const xhat = (c: number) => x[n * C + c]! * rstd[n]!;
    for (let j = 0; j < C; j++) {
      let g = 0;
      for (let i = 0; i < C; i++) {
        g += dout[n * C + i]! * (weight ? weight[i]! : 1) * rstd[n]! * ((i === j ? 1 : 0) - (xhat(i) * xhat(j)) / C);
      }
      dinp[n * C + j] = g;
      dweight[j] += dout[n * C + j]! * xhat(j);
    }
  }
  return { dinp, dweight };
}
