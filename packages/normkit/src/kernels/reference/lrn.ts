/**
 * Float64 reference for Local Response Normalization (Krizhevsky, Sutskever
 * & Hinton 2012, AlexNet), with PyTorch's formula and padding.
 *
 * Shapes: x [N, C, *spatial] viewed as [N, C, S].
 *
 *   b[n,c,s] = a[n,c,s] * (k + alpha/size * sum_{c' in W(c)} a[n,c',s]^2)^-beta
 *   W(c) = [c - floor(size/2), c + floor((size-1)/2)], channels outside [0, C) count as 0
 *
 * (PyTorch pads the squared input with floor(size/2) zeros before and
 * floor((size-1)/2) after along channels, then average-pools with window
 * `size`, dividing by `size` even where the window hangs over the edge.)
 */

/** LRN forward in float64. */
export function lrnRef(
  x: ArrayLike<number>, N: number, C: number, S: number, size: number, alpha: number, beta: number, k: number,
): Float64Array {
  const out = new Float64Array(N * C * S);
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        let sq = 0;
        for (let j = c - before; j <= c + after; j++) {
          if (j >= 0 && j < C) sq += x[(n * C + j) * S + s]! ** 2;
        }
        const a = x[(n * C + c) * S + s]!;
        out[(n * C + c) * S + s] = a * Math.pow(k + (alpha / size) * sq, -beta);
      }
    }
  }
  return out;
}
