/**
 * The fused weight-normalization op (Salimans & Kingma 2016), as PyTorch's
 * `torch._weight_norm`: one pass forward, one pass backward, instead of the
 * five generic ops (square, sum, sqrt, divide, multiply) and their ten
 * backward ops that composing it would record.
 *
 * Shapes: v viewed as [A, D, B] with D = v.shape[dim] (A the dims before,
 * B those after); `dim = null` normalizes the whole tensor (D = 1). g holds
 * one value per index of D (any shape with D elements: [D], [D, 1, ...] or []).
 *
 *   n_d = sqrt(sum_{a,b} v[a,d,b]^2)          w[a,d,b] = g_d v[a,d,b] / n_d
 *   dg_d = sum_{a,b} dw v / n_d
 *   dv   = (g_d / n_d) (dw - v * sum_{a,b}(dw v) / n_d^2)
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { fmtShape, numel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';

/** [A, D, B] view of a weight around `dim` (null: the whole tensor, D = 1). */
export function wnView(shape: readonly number[], dim: number | null): [number, number, number] {
  if (dim === null) return [1, 1, numel(shape)];
  return [numel(shape.slice(0, dim)), shape[dim]!, numel(shape.slice(dim + 1))];
}

/** Per-slice L2 norms n_d of v, in float64. */
function sliceNorms(v: ArrayLike<number>, A: number, D: number, B: number): Float64Array {
  const n = new Float64Array(D);
  for (let a = 0; a < A; a++) {
    for (let d = 0; d < D; d++) {
      const base = (a * D + d) * B;
      let s = 0;
      for (let b = 0; b < B; b++) {
        const x = v[base + b]!;
        s += x * x;
      }
      n[d] += s;
    }
  }
  for (let d = 0; d < D; d++) n[d] = Math.sqrt(n[d]!);
  return n;
}

/** w = g * v / ||v|| with the norm over every dim but `dim` (see the module doc). */
export function weightNormCompose(g: Tensor, v: Tensor, dim: number | null): Tensor {
  const [A, D, B] = wnView(v.shape, dim);
  if (g.size !== D) {
    throw new RangeError(`weightNormCompose: g must hold ${D} values (one per index of dim ${dim ?? 'null'} of v ${fmtShape(v.shape)}), got shape ${fmtShape(g.shape)}`);
  }
  const norms = sliceNorms(v.data, A, D, B);
  const out = allocate(v.dtype, v.size);
  const vd = v.data;
  for (let a = 0; a < A; a++) {
    for (let d = 0; d < D; d++) {
      const s = g.data[d]! / norms[d]!;
      const base = (a * D + d) * B;
      for (let b = 0; b < B; b++) out[base + b] = vd[base + b]! * s;
    }
  }
  return record(new Tensor(out, v.shape), 'weightNorm', [g, v], { dim, norms });
}

/** Gradients of `weightNormCompose` for g and v (the formulas in the module doc). */
export function weightNormBackward(dw: Tensor, g: Tensor, v: Tensor, dim: number | null, norms: Float64Array): [Tensor, Tensor] {
  const [A, D, B] = wnView(v.shape, dim);
  const vd = v.data;
  const dd = dw.data;
  const dot = new Float64Array(D); // sum_{a,b} dw v
  for (let a = 0; a < A; a++) {
    for (let d = 0; d < D; d++) {
      const base = (a * D + d) * B;
      let s = 0;
      for (let b = 0; b < B; b++) s += dd[base + b]! * vd[base + b]!;
      dot[d] += s;
    }
  }
  const dg = allocate(g.dtype, D);
  for (let d = 0; d < D; d++) dg[d] = dot[d]! / norms[d]!;
  const dv = allocate(v.dtype, v.size);
  for (let a = 0; a < A; a++) {
    for (let d = 0; d < D; d++) {
      const n = norms[d]!;
      const s = g.data[d]! / n;
      const c = dot[d]! / (n * n);
      const base = (a * D + d) * B;
      for (let b = 0; b < B; b++) dv[base + b] = s * (dd[base + b]! - vd[base + b]! * c);
    }
  }
  return [new Tensor(dg, g.shape), new Tensor(dv, v.shape)];
}
