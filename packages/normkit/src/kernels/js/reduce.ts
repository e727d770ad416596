/**
 * Sums over a contiguous run of axes: x viewed as [outer, R, inner] is
 * summed over R into acc [outer, inner], in float64, each output in row
 * order (what `nk.sum` over any set of adjacent axes, and over all axes,
 * reduces to). The wasm backend runs it in SIMD (assembly/reduce.ts): for
 * inner > 1 across the inner axis, in the same order (identical sums); for
 * inner = 1 along each row with four float64 partial sums, which rounds
 * differently in the last bits of the float64 sum.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, output } from '../kernel.js';

export const reduceSum = declareKernel('reduceSum', [
  input('x', 'outer*R*inner'), output('acc', 'outer*inner', { elem: 'f64' }), int('outer'), int('R'), int('inner'),
], function reduceSumJs(x: TypedArray, acc: Float64Array, outer: number, R: number, inner: number): void {
  acc.fill(0, 0, outer * inner);
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    if (inner === 1) {
      let s = 0;
      for (let r = 0, ib = o * R; r < R; r++, ib++) s += x[ib]!;
      acc[ob] = s;
      continue;
    }
    for (let r = 0; r < R; r++) {
      const ib = (o * R + r) * inner;
      for (let i = 0; i < inner; i++) acc[ob + i] += x[ib + i]!;
    }
  }
});
