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

/**
 * Maxima over a contiguous run of axes (`nk.max` over adjacent axes, and over
 * any axes after a strided copy): x viewed as [outer, R, inner] gives
 * best [outer, inner] and at [outer, inner], the position r in [0, R) of the
 * first maximal element along R, or of the first NaN when the line has one
 * (NaN propagates, as in torch.max / torch.amax). R >= 1. The wasm backend
 * runs it in SIMD (assembly/reduce.ts: lanes across the inner axis, or four
 * lanes along a row combined by the same first-index rule); a maximum
 * changes no value, so both backends agree exactly.
 */
export const reduceMax = declareKernel('reduceMax', [
  input('x', 'outer*R*inner'), output('best', 'outer*inner'), output('at', 'outer*inner', { elem: 'i32' }), int('outer'), int('R'), int('inner'),
], function reduceMaxJs(x: TypedArray, best: TypedArray, at: Int32Array, outer: number, R: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let ib = o * R * inner + i;
      let b = x[ib]!, k = 0;
      for (let r = 1; r < R; r++) {
        ib += inner;
        const v = x[ib]!;
        if (v > b || (v !== v && b === b)) { b = v; k = r; }
      }
      best[o * inner + i] = b;
      at[o * inner + i] = k;
    }
  }
});
