/**
 * 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`) by
 * im2col + gemm, NCHW layout.
 *
 * Shapes:  x [N, C, H, W], weight [O, C, kh, kw], bias [O],
 *          y [N, O, OH, OW] with OH = floor((H + 2 ph - kh) / sh) + 1 (same for OW),
 *          cols [N, C*kh*kw, OH*OW] (one im2col matrix per image, L = OH*OW).
 *
 *   forward:   cols[n] = im2col(x[n]);  y[n] = W [O, CKK] @ cols[n] + b
 *   backward:  db     = sum over n, l of dy
 *              dW     = sum_n dy[n] [O, L] @ cols[n]^T          (NT gemm, accumulated)
 *              dx[n]  = col2im(W^T @ dy[n])                    (TN gemm, then scatter-add)
 *
 * The forward saves `cols` (it is the weight gradient's other operand), so the
 * backward does not redo the gather.
 */
import { Tensor } from '../tensor/tensor.js';
import { type TypedArray, allocate, allocateUninit, promote } from '../tensor/dtype.js';
import { col2im as col2imKernel, im2col as im2colKernel } from '../kernels/js/conv.js';
import { fmtShape } from '../tensor/shape.js';
import { keep } from '../tensor/scope.js';
import { record } from '../autograd/record.js';
import { needsRecord } from '../autograd/record.js';
import { gemm } from '../kernels/js/gemm.js';
import { asDType } from './linear.js';
import { concat, slice } from './shape-ops.js';
import { checkOptions } from '../options.js';

/** A size given as one number (both dims) or a pair `[h, w]`. */
export type Size2 = number | readonly [number, number];

/** Resolve a `Size2` to a pair, checking it is an integer >= `min`. */
export function pair(v: Size2, what: string, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Number.isInteger(p[0]) || !Number.isInteger(p[1]) || p[0] < min || p[1] < min) {
    throw new RangeError(`${what} must be an integer >= ${min} or a pair of them, got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  }
  return p;
}

/** Geometry of one convolution or pooling window sweep. */
export interface ConvGeom {
  C: number; H: number; W: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
  OH: number; OW: number;
  /** Dilation (spacing of the kernel taps; default 1). */
  dh?: number; dw?: number;
}

/** Output size of a window sweep, with an error naming the input when it would be empty. */
export function convGeom(op: string, xShape: readonly number[], k: [number, number], s: [number, number], p: [number, number], d: [number, number] = [1, 1]): ConvGeom {
  const [, C, H, W] = xShape as [number, number, number, number];
  // PyTorch: OH = floor((H + 2 p - d (k - 1) - 1) / s) + 1
  const OH = Math.floor((H + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const OW = Math.floor((W + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  if (OH < 1 || OW < 1) {
    throw new RangeError(`${op}: kernel [${k.join(', ')}] with padding [${p.join(', ')}] does not fit input ${fmtShape(xShape)} (output would be ${OH}x${OW})`);
  }
  return { C, H, W, kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], OH, OW, dh: d[0], dw: d[1] };
}

/**
 * im2col of one image: cols[(c kh + i) kw + j, oh OW + ow] = x[c, oh sh - ph + i dh, ow sw - pw + j dw]
 * (0 outside the image). A declared kernel (src/kernels/js/conv.ts; SIMD runs on wasm).
 */
export function im2col(x: TypedArray, xOff: number, cols: TypedArray, cOff: number, g: ConvGeom): void {
  im2colKernel(x, xOff, cols, cOff, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, g.dh ?? 1, g.dw ?? 1);
}

/** col2im of one image, the adjoint of im2col: dx[c, ih, iw] += dcols[...] (accumulating; a declared kernel). */
export function col2im(dcols: TypedArray, cOff: number, dx: TypedArray, xOff: number, g: ConvGeom): void {
  col2imKernel(dcols, cOff, dx, xOff, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, g.dh ?? 1, g.dw ?? 1);
}

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Size2;
  /** Zero padding on each side (default 0). */
  padding?: Size2;
  /** Spacing between kernel taps (default 1; Yu & Koltun 2016's dilated convolution). */
  dilation?: Size2;
  /** Split input and output channels into this many independent groups (default 1; weight [O, C/groups, kh, kw]). */
  groups?: number;
}

const CONV2D_KEYS = ['stride', 'padding', 'dilation', 'groups'];

/**
 * 2-D convolution, NCHW: `y[n, o] = b[o] + sum_{c,i,j} W[o, c, i, j] x[n, c, oh sh - ph + i, ow sw - pw + j]`
 * (cross-correlation, as every deep-learning library computes it). See the
 * module doc for shapes and the backward.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  checkOptions('conv2d', opts, CONV2D_KEYS);
  if (weight.ndim !== 4) throw new RangeError(`conv2d: expected a 4-D weight [outC, inC, kh, kw], got ${fmtShape(weight.shape)}`);
  const [O, Cw, kh, kw] = weight.shape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  if (groups !== 1) {
    // groups: independent convolutions on channel slices, concatenated (as PyTorch defines them)
    if (!Number.isInteger(groups) || groups < 1 || O % groups !== 0) throw new RangeError(`conv2d: groups must be a positive integer dividing outC=${O}, got ${groups}`);
    if (x.ndim !== 4 || x.shape[1] !== Cw * groups) throw new RangeError(`conv2d: expected input with shape [N, ${Cw * groups}, H, W] (groups=${groups}), got ${fmtShape(x.shape)}`);
    const Og = O / groups;
    const sub = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation };
    const outs: Tensor[] = [];
    for (let gi = 0; gi < groups; gi++) {
      outs.push(conv2d(slice(x, 1, gi * Cw, (gi + 1) * Cw), slice(weight, 0, gi * Og, (gi + 1) * Og), bias ? slice(bias, 0, gi * Og, (gi + 1) * Og) : null, sub));
    }
    return concat(outs, 1);
  }
  if (x.ndim !== 4 || x.shape[1] !== Cw) {
    throw new RangeError(`conv2d: expected input with shape [N, ${Cw}, H, W], got ${fmtShape(x.shape)}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) {
    throw new RangeError(`conv2d: expected bias with shape [${O}], got ${fmtShape(bias.shape)}`);
  }
  const stride = pair(opts.stride ?? 1, 'conv2d stride', 1);
  const padding = pair(opts.padding ?? 0, 'conv2d padding', 0);
  const dilation = pair(opts.dilation ?? 1, 'conv2d dilation', 1);
  const N = x.shape[0]!;
  const g = convGeom('conv2d', x.shape, [kh, kw], stride, padding, dilation);
  const L = g.OH * g.OW;
  const CKK = Cw * kh * kw;
  let dtype = promote(x.dtype, weight.dtype);
  if (bias) dtype = promote(dtype, bias.dtype);
  const X = asDType(x.data, dtype);
  const Wd = asDType(weight.data, dtype);
  const recording = needsRecord([x, weight, bias]);
  // Keep every image's cols when recording (backward needs them); else reuse one buffer.
  // im2col writes every element of cols (zeros at the borders too), and the gemm (or the bias rows
  // it accumulates onto) every element of out: neither needs zeroing first
  const cols = allocateUninit(dtype, (recording ? N : 1) * CKK * L);
  // A tensor on the columns' storage, so that their backend memory goes back when the output is
  // disposed (kept from the enclosing tidy: the output's backward may still need them), or now
  // when nothing is recorded; as a bare array it waited for the garbage collector (5.5 MB per CNN step).
  const colsT = keep(new Tensor(cols, [cols.length]));
  const out = CKK > 0 || bias ? allocateUninit(dtype, N * O * L) : allocate(dtype, N * O * L);
  for (let n = 0; n < N; n++) {
    const cOff = recording ? n * CKK * L : 0;
    im2col(X, n * g.C * g.H * g.W, cols, cOff, g);
    const oOff = n * O * L;
    if (bias) {
      const b = bias.data;
      for (let o = 0; o < O; o++) out.fill(b[o]!, oOff + o * L, oOff + (o + 1) * L);
    }
    gemm(Wd, 0, cols, cOff, out, oOff, O, L, CKK, false, false, bias !== null, null);
  }
  const y = record(new Tensor(out, [N, O, g.OH, g.OW]), 'conv2d', [x, weight, bias], () => ({ geom: g, cols }), [colsT]);
  if (y.node === null) colsT.dispose();
  return y;
}

/** Gradients of `conv2d`: `[dx, dW, db]` from dy and the saved cols. */
export function conv2dBackward(
  dout: Tensor, x: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeom, cols: TypedArray, needs: readonly boolean[],
): (Tensor | null)[] {
  const N = x.shape[0]!;
  const O = weight.shape[0]!;
  const L = g.OH * g.OW;
  const CKK = g.C * g.kh * g.kw;
  const dtype = dout.dtype;
  const dy = dout.data;
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[2] && bias) {
    const acc = new Float64Array(O);
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < O; o++) {
        const base = (n * O + o) * L;
        let s = 0;
        for (let l = 0; l < L; l++) s += dy[base + l]!;
        acc[o] += s;
      }
    }
    const b = allocate(bias.dtype, O);
    b.set(acc);
    db = new Tensor(b, bias.shape);
  }
  if (needs[1]) {
    const gw = N > 0 && L > 0 ? allocateUninit(dtype, O * CKK) : allocate(dtype, O * CKK); // the first image's gemm overwrites
    const C = asDType(cols, dtype);
    for (let n = 0; n < N; n++) gemm(dy, n * O * L, C, n * CKK * L, gw, 0, O, CKK, L, false, true, n > 0, null);
    dw = new Tensor(asDType(gw, weight.dtype), weight.shape);
  }
  if (needs[0]) {
    const gx = allocate(dtype, x.size);
    const dcols = O > 0 ? allocateUninit(dtype, CKK * L) : allocate(dtype, CKK * L); // the gemm overwrites it (gx accumulates: zeroed)
    const dcolsT = new Tensor(dcols, [dcols.length]); // scratch: its backend memory goes back below
    const Wd = asDType(weight.data, dtype);
    for (let n = 0; n < N; n++) {
      gemm(Wd, 0, dy, n * O * L, dcols, 0, CKK, L, O, true, false, false, null);
      col2im(dcols, 0, gx, n * g.C * g.H * g.W, g);
    }
    dcolsT.dispose();
    dx = new Tensor(asDType(gx, x.dtype), x.shape);
  }
  return [dx, dw, db];
}
