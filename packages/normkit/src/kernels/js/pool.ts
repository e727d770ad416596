/**
 * Max pooling's loops (src/functional/pool.ts): the window maxima of
 * x [NC, H, W] and where each came from (a flat index into x, for the
 * backward), and the backward's scatter of dy to those positions. The
 * WebAssembly twins (assembly/pool.ts) run the same loops in the same order,
 * so values and positions agree bit for bit, NaN handling included: a NaN
 * is taken and ends its row of the window (a later row's NaN replaces it,
 * as the TypeScript loop always did).
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, inout, input, int, output } from '../kernel.js';

export const maxPool2dForward = declareKernel('maxPool2dForward', [
  input('x', 'NC*H*W'), output('out', 'NC*OH*OW'), output('arg', 'NC*OH*OW', { elem: 'i32' }),
  int('NC'), int('H'), int('W'), int('kh'), int('kw'), int('sh'), int('sw'), int('ph'), int('pw'), int('OH'), int('OW'),
], function maxPool2dForwardJs(
  x: TypedArray, out: TypedArray, arg: Int32Array,
  NC: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
): void {
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * sh - ph);
      const h1 = Math.min(H, oh * sh - ph + kh);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(0, ow * sw - pw);
        const w1 = Math.min(W, ow * sw - pw + kw);
        let best = -Infinity;
        let bi = base + h0 * W + w0;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) {
            const v = x[row + iw]!;
            // NaN propagates, as in PyTorch
            if (v > best || v !== v) {
              best = v;
              bi = row + iw;
              if (v !== v) break;
            }
          }
        }
        out[o] = best;
        arg[o] = bi;
      }
    }
  }
});

/** g[idx[o]] += dy[o] for every o, in order (max pooling's gradient into a zeroed g). */
export const scatterAdd = declareKernel('scatterAdd', [
  inout('g', 'all'), input('dy', 'all'), input('idx', 'all', { elem: 'i32' }),
], function scatterAddJs(g: TypedArray, dy: TypedArray, idx: Int32Array): void {
  for (let o = 0; o < idx.length; o++) g[idx[o]!] += dy[o]!;
});
