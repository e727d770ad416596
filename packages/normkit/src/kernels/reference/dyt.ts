/**
 * Float64 reference for Dynamic Tanh (Zhu, Chen, He, LeCun & Liu 2025,
 * "Transformers without Normalization"): the normalization-free replacement
 * of LayerNorm.
 *
 * Shapes: x viewed as [N, C], weight/bias [C], alpha a scalar.
 *
 *   y[n,c] = w[c] * tanh(alpha * x[n,c]) + b[c]
 */

/** DyT forward in float64. */
export function dytRef(
  x: ArrayLike<number>, N: number, C: number, alpha: number,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null,
): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      out[n * C + c] = (weight ? weight[c]! : 1) * Math.tanh(alpha * x[n * C + c]!) + (bias ? bias[c]! : 0);
    }
  }
  return out;
}
