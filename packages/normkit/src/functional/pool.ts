/**
 * 2-D pooling over NCHW inputs, as `torch.nn.functional.max_pool2d` /
 * `avg_pool2d`, with PyTorch's `ceil_mode`, `count_include_pad` and
 * `divisor_override` (camelCase here).
 *
 * Shapes:  x [N, C, H, W], y [N, C, OH, OW], OH = floor((H + 2 ph - kh) / sh) + 1,
 *          or with ceilMode OH = ceil((H + 2 ph - kh) / sh) + 1, minus one when the
 *          last window would start past the input and its left padding
 *          ((OH - 1) sh >= H + ph), as PyTorch's pooling_output_shape.
 *
 *   max forward:   y = max over the window; argmax (flat index into x) saved
 *   max backward:  dx[argmax] += dy     (padding never wins: it is -inf)
 *   avg forward:   y = sum over the window / divisor, where (PyTorch's avg_pool2d kernel)
 *                  divisor = divisorOverride, else the window clipped to the padded input
 *                  (countIncludePad, default), else the window clipped to the input
 *   avg backward:  dx[window] += dy / divisor
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { maxPool2dForward, scatterAdd } from '../kernels/js/pool.js';
import { fmtShape } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { type ConvGeom, type Size2, convGeom, pair } from './conv.js';
import { checkOptions, unsupported } from '../options.js';

/** Options of `maxPool2d` (PyTorch's keyword arguments, camelCase). */
export interface MaxPool2dOptions {
  /** Output size by ceil instead of floor (default false). */
  ceilMode?: boolean;
  /** Only 1 (the default) is supported; other values throw. */
  dilation?: Size2;
  /** Not supported (throws when true): normkit's maxPool2d returns the values only. */
  returnIndices?: boolean;
}

/** Options of `avgPool2d` (PyTorch's keyword arguments, camelCase). */
export interface AvgPool2dOptions {
  /** Output size by ceil instead of floor (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window by this instead (default null). */
  divisorOverride?: number | null;
}

/** Geometry of a pooling sweep, with the pooling-only fields the average needs. */
interface PoolGeom extends ConvGeom {
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

function geom(op: string, x: Tensor, kernelSize: Size2, stride: Size2 | null | undefined, padding: Size2, ceilMode = false): PoolGeom {
  if (x.ndim !== 4) throw new RangeError(`${op}: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
  const k = pair(kernelSize, `${op} kernelSize`, 1);
  const s = pair(stride ?? kernelSize, `${op} stride`, 1);
  const p = pair(padding, `${op} padding`, 0);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new RangeError(`${op}: padding [${p.join(', ')}] should be at most half of kernelSize [${k.join(', ')}]`);
  }
  const g = convGeom(op, x.shape, k, s, p);
  if (ceilMode) {
    // PyTorch's pooling_output_shape with ceil_mode
    const out = (L: number, kk: number, ss: number, pp: number) => {
      let o = Math.ceil((L + 2 * pp - kk) / ss) + 1;
      if ((o - 1) * ss >= L + pp) o--;
      return o;
    };
    g.OH = out(g.H, k[0], s[0], p[0]);
    g.OW = out(g.W, k[1], s[1], p[1]);
  }
  return g;
}

/** The divisor of window (oh, ow), as PyTorch's avg_pool2d kernel computes it. */
function divisor(g: PoolGeom, oh: number, ow: number): number {
  if (g.divisorOverride) return g.divisorOverride;
  const hs = oh * g.sh - g.ph;
  const ws = ow * g.sw - g.pw;
  if (g.countIncludePad ?? true) {
    const he = Math.min(hs + g.kh, g.H + g.ph);
    const we = Math.min(ws + g.kw, g.W + g.pw);
    return (he - hs) * (we - ws);
  }
  return (Math.min(hs + g.kh, g.H) - Math.max(hs, 0)) * (Math.min(ws + g.kw, g.W) - Math.max(ws, 0));
}

/** Max over each `kernelSize` window (stride defaults to kernelSize). */
export function maxPool2d(x: Tensor, kernelSize: Size2, stride?: Size2 | null, padding: Size2 = 0, opts: MaxPool2dOptions = {}): Tensor {
  checkOptions('maxPool2d', opts, ['ceilMode', 'dilation', 'returnIndices']);
  const dil = pair(opts.dilation ?? 1, 'maxPool2d dilation', 1);
  if (dil[0] !== 1 || dil[1] !== 1) unsupported('maxPool2d', 'dilation', opts.dilation, 1);
  unsupported('maxPool2d', 'returnIndices', opts.returnIndices || undefined, false);
  const g = geom('maxPool2d', x, kernelSize, stride, padding, opts.ceilMode ?? false);
  const { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW } = g;
  const NC = x.shape[0]! * C;
  const out = allocateUninit(x.dtype, NC * OH * OW); // every window writes its maximum
  const arg = new Int32Array(out.length);
  maxPool2dForward(x.data, out, arg, NC, H, W, kh, kw, sh, sw, ph, pw, OH, OW); // a kernel (wasm on the wasm backend)
  return record(new Tensor(out, [x.shape[0]!, C, OH, OW]), 'maxPool2d', [x], { argmax: arg });
}

/** Scatter dy to the argmax positions. */
export function maxPool2dBackward(dout: Tensor, x: Tensor, argmax: Int32Array): Tensor {
  const g = allocate(x.dtype, x.size);
  scatterAdd(g, dout.data, argmax); // g[argmax[o]] += dy[o], a kernel
  return new Tensor(g, x.shape);
}

/** Mean over each `kernelSize` window (stride defaults to kernelSize; padding counts as zeros). */
export function avgPool2d(x: Tensor, kernelSize: Size2, stride?: Size2 | null, padding: Size2 = 0, opts: AvgPool2dOptions = {}): Tensor {
  checkOptions('avgPool2d', opts, ['ceilMode', 'countIncludePad', 'divisorOverride']);
  const g = geom('avgPool2d', x, kernelSize, stride, padding, opts.ceilMode ?? false);
  g.countIncludePad = opts.countIncludePad ?? true;
  const dov = opts.divisorOverride ?? null;
  if (dov !== null && !(Number.isInteger(dov) && dov > 0)) throw new RangeError(`avgPool2d: divisorOverride must be a positive integer or null, got ${dov}`);
  g.divisorOverride = dov;
  const { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW } = g;
  const NC = x.shape[0]! * C;
  const out = allocate(x.dtype, NC * OH * OW);
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
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) s += d[row + iw]!;
        }
        out[o] = s / divisor(g, oh, ow);
      }
    }
  }
  return record(new Tensor(out, [x.shape[0]!, C, OH, OW]), 'avgPool2d', [x], { geom: g });
}

/** Spread dy / divisor over each window. */
export function avgPool2dBackward(dout: Tensor, x: Tensor, g: PoolGeom): Tensor {
  const { C, H, W, kh, kw, sh, sw, ph, pw, OH, OW } = g;
  const NC = x.shape[0]! * C;
  const gx = allocate(x.dtype, x.size);
  const dy = dout.data;
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * sh - ph);
      const h1 = Math.min(H, oh * sh - ph + kh);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(0, ow * sw - pw);
        const w1 = Math.min(W, ow * sw - pw + kw);
        const v = dy[o]! / divisor(g, oh, ow);
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
