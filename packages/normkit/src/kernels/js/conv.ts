/**
 * The data movement of a convolution by matrix multiply (src/functional/conv.ts):
 * im2col lays one image's receptive fields out as columns, col2im adds them
 * back (its adjoint, for the input's gradient).
 *
 *   cols[(c kh + i) kw + j, oh OW + ow] = x[c, oh sh - ph + i dh, ow sw - pw + j dw]   (0 outside the image)
 *
 * x is [C, H, W] at `xOff`, cols [C kh kw, OH OW] at `cOff`. The wasm backend
 * moves each output row's valid run in v128 blocks when sw = 1
 * (assembly/conv.ts); only bits move in im2col, and col2im adds in the same
 * order, so both backends agree bit for bit.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, inout, input, int } from '../kernel.js';

const GEOM = [int('C'), int('H'), int('W'), int('kh'), int('kw'), int('sh'), int('sw'), int('ph'), int('pw'), int('OH'), int('OW'), int('dh'), int('dw')] as const;

/**
 * The output columns ow whose input column ow*sw - pw + j*dw lies inside the
 * image (0 <= it < W), for kernel column j: [owFirst, owEnd), empty when
 * owEnd <= owFirst. im2col copies that run and zeros the rest; col2im adds it.
 */
function owFirst(j: number, sw: number, pw: number, dw: number, OW: number): number {
  return Math.min(OW, Math.max(0, Math.ceil((pw - j * dw) / sw)));
}
function owEnd(owLo: number, j: number, W: number, sw: number, pw: number, dw: number, OW: number): number {
  return Math.max(owLo, Math.min(OW, Math.floor((W - 1 + pw - j * dw) / sw) + 1));
}

/**
 * One image's columns: every element of cols[cOff .. + C kh kw OH OW] is
 * written (zeros outside the image); the rest of cols (other images'
 * columns) is left as it is, hence 'inout'.
 */
export const im2col = declareKernel('im2col', [
  input('x', 'C*H*W', { offset: 'xOff' }), int('xOff'), inout('cols', 'C*kh*kw*OH*OW', { offset: 'cOff' }), int('cOff'), ...GEOM,
], function im2colJs(
  x: TypedArray, xOff: number, cols: TypedArray, cOff: number,
  C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dh: number, dw: number,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let r = cOff + ((c * kh + i) * kw + j) * L;
        const owLo = owFirst(j, sw, pw, dw, OW), owHi = owEnd(owLo, j, W, sw, pw, dw, OW);
        for (let oh = 0; oh < OH; oh++, r += OW) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H || owHi <= owLo) {
            cols.fill(0, r, r + OW);
            continue;
          }
          const xr = xc + ih * W - pw + j * dw;
          for (let ow = 0; ow < owLo; ow++) cols[r + ow] = 0;
          if (sw === 1) for (let ow = owLo; ow < owHi; ow++) cols[r + ow] = x[xr + ow]!;
          else for (let ow = owLo; ow < owHi; ow++) cols[r + ow] = x[xr + ow * sw]!;
          for (let ow = owHi; ow < OW; ow++) cols[r + ow] = 0;
        }
      }
    }
  }
});

/** The adjoint: dx[xOff + ...] += each column entry at its image position (accumulating into dx). */
export const col2im = declareKernel('col2im', [
  input('dcols', 'C*kh*kw*OH*OW', { offset: 'cOff' }), int('cOff'), inout('dx', 'C*H*W', { offset: 'xOff' }), int('xOff'), ...GEOM,
], function col2imJs(
  dcols: TypedArray, cOff: number, dx: TypedArray, xOff: number,
  C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, dh: number, dw: number,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let r = cOff + ((c * kh + i) * kw + j) * L;
        const owLo = owFirst(j, sw, pw, dw, OW), owHi = owEnd(owLo, j, W, sw, pw, dw, OW);
        for (let oh = 0; oh < OH; oh++, r += OW) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H) continue;
          const xr = xc + ih * W - pw + j * dw;
          if (sw === 1) for (let ow = owLo; ow < owHi; ow++) dx[xr + ow] += dcols[r + ow]!;
          else for (let ow = owLo; ow < owHi; ow++) dx[xr + ow * sw] += dcols[r + ow]!;
        }
      }
    }
  }
});
