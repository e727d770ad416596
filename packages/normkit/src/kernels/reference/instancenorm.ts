/**
 * Float64 reference for instance normalization (Ulyanov, Vedaldi & Lempitsky
 * 2016, arXiv:1607.08022): reshape [N, C, *] to rows [N*C, S], normalize each
 * row over its spatial values (mean, biased variance), apply the per-channel
 * weight and bias. The same as group norm with one channel per group, but
 * written on its own so the two can be tested against each other.
 */
import { channelAffineRef, normalizeRowsRef } from './groupnorm.js';

/** Instance norm of `x` with shape [N, C, ...] in float64; mean/var per (sample, channel), [N*C]. */
export function instancenormRef(
  x: ArrayLike<number>, shape: readonly number[],
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, eps: number,
): { out: Float64Array; mean: Float64Array; var: Float64Array } {
  const N = shape[0]!;
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const rows = normalizeRowsRef(x, N * C, S, eps);
  channelAffineRef(rows.out, N, C, S, weight, bias);
  return rows;
}
