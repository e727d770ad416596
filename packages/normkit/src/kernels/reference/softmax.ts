/**
 * Float64 reference for softmax / log-softmax: the plain definition on
 * nested loops, the spec the fast kernels are tested against.
 */
import { numel, normalizeAxis } from '../../tensor/shape.js';

/** softmax(x) along `axis` of `shape`, in float64. */
export function softmaxRef(x: ArrayLike<number>, shape: readonly number[], axis: number, log = false): Float64Array {
  const a = normalizeAxis(axis, shape.length);
  const outer = numel(shape.slice(0, a));
  const D = shape[a]!;
  const inner = numel(shape.slice(a + 1));
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (i: number) => o * D * inner + i * inner + q;
      let m = -Infinity;
      for (let i = 0; i < D; i++) m = Math.max(m, x[at(i)]!);
      let s = 0;
      for (let i = 0; i < D; i++) s += Math.exp(x[at(i)]! - m);
      for (let i = 0; i < D; i++) y[at(i)] = log ? x[at(i)]! - m - Math.log(s) : Math.exp(x[at(i)]! - m) / s;
    }
  }
  return y;
}
