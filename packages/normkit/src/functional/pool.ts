/**
 * 2-D pooling over NCHW inputs, as `torch.nn.functional.max_pool2d` /
 * `avg_pool2d` (floor output size, zero-padding counted in the average as
 * PyTorch's default `count_include_pad=True`).
 *
 * Shapes:  x [N, C, H, W], y [N, C, OH, OW], OH = floor((H + 2 ph - kh) / sh) + 1.
 *
 *   max forward:   y = max over the window; argmax (flat index into x) saved
 *   max backward:  dx[argmax] += dy     (padding never wins: it is -inf)
 *   avg forward:   y = sum over the window / (kh kw)
 *   avg backward:  dx[window] += dy / (kh kw)
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { type ConvGeom, type Size2, convGeom, pair } from './conv.js';

function geom(op: string, x: Tensor, kernelSize: Size2, stride: Size2 | null | undefined, padding: Size2): ConvGeom {
  if (x.ndim !== 4) throw new RangeError(`${op}: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
  const k = pair(kernelSize, `${op} kernelSize`, 1);
  const s = pair(stride ?? kernelSize, `${op} stride`, 1);
  const p = pair(padding, `${op} padding`, 0);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new RangeError(`${op}: padding [${p.join(', ')}] should be at most half of kernelSize [${k.join(', ')}]`);
  }
  return convGeom(op, x.shape, k, s, p);
}

/** Max over each `kernelSize` window (stride defaults to kernelSize). */
export function maxPool2d(x: Tensor, kernelSize: Size2, stride?: Size2 | null, padding: Size2 = 0): Tensor {
  const g = geom('maxPool2d', x, kernelSize, stride, padding);
  const { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW } = g;
  const NC = x.shape[0]! * C;
  const out = allocate(x.dtype, NC * OH * OW);
  const arg = new Int32Array(out.length);
  const d = x.data;
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
            const v = d[row + iw]!;
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
  return record(new Tensor(out, [x.shape[0]!, C, OH, OW]), 'maxPool2d', [x], { argmax: arg });
}

/** Scatter dy to the argmax positions. */
export function maxPool2dBackward(dout: Tensor, x: Tensor, argmax: Int32Array): Tensor {
  const g = allocate(x.dtype, x.size);
  const dy = dout.data;
  for (let o = 0; o < argmax.length; o++) g[argmax[o]!] += dy[o]!;
  return new Tensor(g, x.shape);
}

/** Mean over each `kernelSize` window (stride defaults to kernelSize; padding counts as zeros). */
export function avgPool2d(x: Tensor, kernelSize: Size2, stride?: Size2 | null, padding: Size2 = 0): Tensor {
  const g = geom('avgPool2d', x, kernelSize, stride, padding);
  const { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW } = g;
  const NC = x.shape[0]! * C;
  const out = allocate(x.dtype, NC * OH * OW);
  const d = x.data;
  const inv = 1 / (kh * kw);
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * sh - ph);
      const h1 = Math.min(H, oh * sh - ph + kh);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(0, ow * sw - pw);
        const w1 = Math.min(W, ow * sw - pw + kw);
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) s += d[row + iw]!;
        }
        out[o] = s * inv;
      }
    }
  }
  return record(new Tensor(out, [x.shape[0]!, C, OH, OW]), 'avgPool2d', [x], { geom: g });
}

/** Spread dy / (kh kw) over each window. */
export function avgPool2dBackward(dout: Tensor, x: Tensor, g: ConvGeom): Tensor {
  const { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW } = g;
  const NC = x.shape[0]! * C;
  const gx = allocate(x.dtype, x.size);
  const dy = dout.data;
  const inv = 1 / (kh * kw);
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * sh - ph);
      const h1 = Math.min(H, oh * sh - ph + kh);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(0, ow * sw - pw);
        const w1 = Math.min(W, ow * sw - pw + kw);
        const v = dy[o]! * inv;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) gx[row + iw] += v;
        }
      }
    }
  }
  return new Tensor(gx, x.shape);
}

/** Mean over the spatial dims of an NCHW input, keeping them as 1x1 (`AdaptiveAvgPool2d(1)`). */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.ndim !== 4) throw new RangeError(`globalAvgPool2d: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
  return avgPool2d(x, [x.shape[2]!, x.shape[3]!]);
}
