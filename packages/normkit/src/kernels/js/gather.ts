/**
 * The gradient of a row gather (an embedding lookup, `indexSelect`): with
 * dout viewed as [outer, n, inner] and g as [outer, len, inner],
 *
 *   g = 0;  g[o, index[i], :] += dout[o, i, :]   for i = 0 .. n-1 in order
 *
 * so rows picked several times (a token that occurs twice) sum their
 * gradients. The wasm backend adds rows in f32x4 SIMD (assembly/gather.ts),
 * in the same order: one float32 addition per element, bit-identical.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, output } from '../kernel.js';

export const indexAddRows = declareKernel('indexAddRows', [
  output('g', 'outer*len*inner'), input('dout', 'outer*n*inner'), input('index', 'n', { elem: 'i32' }),
  int('outer'), int('len'), int('n'), int('inner'),
], function indexAddRowsJs(g: TypedArray, dout: TypedArray, index: Int32Array, outer: number, len: number, n: number, inner: number): void {
  g.fill(0, 0, outer * len * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const dst = (o * len + index[i]!) * inner;
      const src = (o * n + i) * inner;
      for (let j = 0; j < inner; j++) g[dst + j] += dout[src + j]!;
    }
  }
});
