/**
 * Element-wise activations and their derivatives as plain loops, one loop
 * per op. A shared loop calling `f(v)` per element (what the functional ops
 * and the backward rules used) stops V8 from inlining `f` once several ops
 * go through it, and was a quarter of a Transformer training step; a switch
 * outside the loop keeps every loop monomorphic.
 *
 * Forward:  dst[i] = f(src[i]).
 * Backward: dst[i] = dout[i] * f'(x[i]) with y = f(x) available where the
 * derivative is cheaper from the output (tanh: 1 - y^2, sigmoid: y (1 - y),
 * exp: y). GELU's derivative is not here: a differentiated GELU computes it
 * in its forward pass (`geluWithDerivative`), and the backward multiplies.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { normalCdf } from './erf.js';
import { declareKernel, choice, input, output } from '../kernel.js';

/** The element-wise ops with a dedicated loop. */
export const POINTWISE_OPS = ['neg', 'exp', 'log', 'sqrt', 'abs', 'square', 'tanh', 'sigmoid', 'relu', 'gelu'] as const;
/** One of `POINTWISE_OPS`. */
export type PointwiseOp = (typeof POINTWISE_OPS)[number];
/**
 * The ops whose derivative `pointwiseBackward` computes: all but GELU, whose
 * derivative comes out of its forward pass (`geluWithDerivative` below).
 */
export const POINTWISE_GRAD_OPS = ['neg', 'exp', 'log', 'sqrt', 'abs', 'square', 'tanh', 'sigmoid', 'relu'] as const;
/** One of `POINTWISE_GRAD_OPS`. */
export type PointwiseGradOp = (typeof POINTWISE_GRAD_OPS)[number];

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** dst[i] = op(src[i]) for i < src.length (dst may be src). The wasm backend runs 'gelu' in SIMD. */
export const pointwiseForward = declareKernel('pointwiseForward', [
  choice('op', POINTWISE_OPS), input('src', 'all'), output('dst', 'all'),
], function pointwiseForwardJs(op: PointwiseOp, src: TypedArray, dst: TypedArray): void {
  const n = src.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) dst[i] = -src[i]!; break;
    case 'exp': for (let i = 0; i < n; i++) dst[i] = Math.exp(src[i]!); break;
    case 'log': for (let i = 0; i < n; i++) dst[i] = Math.log(src[i]!); break;
    case 'sqrt': for (let i = 0; i < n; i++) dst[i] = Math.sqrt(src[i]!); break;
    case 'abs': for (let i = 0; i < n; i++) dst[i] = Math.abs(src[i]!); break;
    case 'square': for (let i = 0; i < n; i++) { const v = src[i]!; dst[i] = v * v; } break;
    case 'tanh': for (let i = 0; i < n; i++) dst[i] = Math.tanh(src[i]!); break;
    case 'sigmoid':
      // 1 / (1 + e^-v) without overflow: e^v / (1 + e^v) for negative v
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v >= 0) dst[i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); dst[i] = e / (1 + e); }
      }
      break;
    case 'relu': for (let i = 0; i < n; i++) { const v = src[i]!; dst[i] = v > 0 ? v : 0; } break;
    case 'gelu': for (let i = 0; i < n; i++) { const v = src[i]!; dst[i] = v * normalCdf(v); } break;
    default: throw new RangeError(`pointwiseForward: unknown op '${String(op)}'`);
  }
});

/**
 * dst[i] = dout[i] * op'(x[i]), using y = op(x) where that is cheaper.
 * Conventions (PyTorch's): relu'(0) = 0, abs'(0) = 0, sqrt' = 1 / (2 y).
 */
export const pointwiseBackward = declareKernel('pointwiseBackward', [
  choice('op', POINTWISE_GRAD_OPS), input('dout', 'all'), input('x', 'all'), input('y', 'all'), output('dst', 'all'),
], function pointwiseBackwardJs(op: PointwiseGradOp, dout: TypedArray, x: TypedArray, y: TypedArray, dst: TypedArray): void {
  const n = dout.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) dst[i] = -dout[i]!; break;
    case 'exp': for (let i = 0; i < n; i++) dst[i] = dout[i]! * y[i]!; break;
    case 'log': for (let i = 0; i < n; i++) dst[i] = dout[i]! / x[i]!; break;
    case 'sqrt': for (let i = 0; i < n; i++) dst[i] = dout[i]! * (0.5 / y[i]!); break;
    case 'abs': for (let i = 0; i < n; i++) { const v = x[i]!; dst[i] = v > 0 ? dout[i]! : v < 0 ? -dout[i]! : 0; } break;
    case 'square': for (let i = 0; i < n; i++) dst[i] = dout[i]! * 2 * x[i]!; break;
    case 'tanh': for (let i = 0; i < n; i++) { const t = y[i]!; dst[i] = dout[i]! * (1 - t * t); } break;
    case 'sigmoid': for (let i = 0; i < n; i++) { const s = y[i]!; dst[i] = dout[i]! * (s * (1 - s)); } break;
    case 'relu': for (let i = 0; i < n; i++) dst[i] = x[i]! > 0 ? dout[i]! : 0; break;
    default: throw new RangeError(`pointwiseBackward: unknown op '${String(op)}'`);
  }
});

/**
 * Exact GELU and its derivative in one pass, for a forward that will be
 * differentiated: dst[i] = x Phi(x), deriv[i] = Phi(x) + x phi(x) at
 * x = src[i] (NaN for NaN). The backward is then dout * deriv, one
 * multiply, instead of a second evaluation of erfc and exp: in the wasm
 * backend the two share their exp, erfc and reciprocal, and y has the bits
 * of pointwiseForward('gelu') (src/kernels/wasm/assembly/gelu.ts: one
 * definition of each part serves both kernels).
 */
export const geluWithDerivative = declareKernel('geluWithDerivative', [
  input('src', 'all'), output('dst', 'all'), output('deriv', 'all'),
], function geluWithDerivativeJs(src: TypedArray, dst: TypedArray, deriv: TypedArray): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const cdf = normalCdf(v);
    dst[i] = v * cdf;
    deriv[i] = cdf + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
  }
});
