/**
 * normalize: Lp normalization along a dim (`torch.nn.functional.normalize`).
 * Per-sample L2 normalization loses a point's scale: (3, 5) and (6, 10)
 * both become (0.514, 0.857).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { normalizeAxis, numel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { RuleContext } from '../autograd/ops.js';
import { normalizeForward, normalizeBackward } from '../kernels/js/normalize.js';
import { checkOptions } from '../options.js';

/** Options of `normalize`. */
export interface NormalizeOptions {
  /** Exponent of the norm (default 2); any p > 0, or Infinity for the max norm. */
  p?: number;
  /** The dim to normalize along (default 1, negative counts from the end). */
  dim?: number;
  /** Lower bound of the divisor (default 1e-12), so zero vectors stay zero. */
  eps?: number;
}

/**
 * v / max(||v||_p, eps) along `dim`, with ||v||_p = (sum |v_i|^p)^(1/p).
 * Computed with a max-|v| scaling, so huge values do not overflow.
 */
export function normalize(x: Tensor, opts: NormalizeOptions = {}): Tensor {
  checkOptions('normalize', opts, ['p', 'dim', 'eps']);
  const p = opts.p ?? 2;
  const eps = opts.eps ?? 1e-12;
  if (!(p > 0)) throw new RangeError(`normalize: p must be positive (or Infinity), got ${p}`);
  const axis = normalizeAxis(opts.dim ?? 1, x.ndim, 'normalize: dim');
  const outer = numel(x.shape.slice(0, axis));
  const D = x.shape[axis] ?? 1;
  const inner = numel(x.shape.slice(axis + 1));
  const out = allocate(x.dtype, x.size);
  const norm = new Float64Array(outer * inner);
  normalizeForward(out, norm, x.data, outer, D, inner, p, eps);
  return record(new Tensor(out, x.shape), 'normalize', [x], { p, axis, eps, norm });
}

/** Backward rule of `normalize`. */
export function normalizeBackwardRule({ dout, inputs: [x], saved: { p, axis, eps, norm } }: RuleContext<'normalize'>): (Tensor | null)[] {
  const sh = x!.shape;
  const dx = allocate(x!.dtype, x!.size);
  normalizeBackward(dx, dout.data, x!.data, norm, numel(sh.slice(0, axis)), sh[axis] ?? 1, numel(sh.slice(axis + 1)), p, eps);
  return [new Tensor(dx, sh)];
}
