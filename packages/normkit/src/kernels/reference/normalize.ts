/**
 * Float64 reference for Lp normalization (torch.nn.functional.normalize).
 *
 * Shapes: x viewed as [outer, D, inner] around `dim`; each of the
 * outer*inner lines of length D (stride inner) is normalized.
 *
 *   y = v / max(||v||_p, eps),  ||v||_p = (sum |v_i|^p)^(1/p),  ||v||_inf = max |v_i|
 */

/** Lp-normalize lines [outer, D, inner] in float64 (plain definition, no scaling). */
export function normalizeRef(
  x: ArrayLike<number>, outer: number, D: number, inner: number, p: number, eps: number,
): Float64Array {
  const out = new Float64Array(outer * D * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (i: number) => (o * D + i) * inner + q;
      let norm = 0;
      if (p === Infinity) {
        for (let i = 0; i < D; i++) norm = Math.max(norm, Math.abs(x[at(i)]!));
      } else {
        for (let i = 0; i < D; i++) norm += Math.abs(x[at(i)]!) ** p;
        norm = norm ** (1 / p);
      }
      const den = Math.max(norm, eps);
      for (let i = 0; i < D; i++) out[at(i)] = x[at(i)]! / den;
    }
  }
  return out;
}
