/**
 * rmsNorm: Root Mean Square Layer Normalization (Zhang & Sennrich 2019,
 * arXiv:1910.07467), as used in LLaMA; PyTorch semantics
 * (`torch.nn.functional.rms_norm`).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit, machineEps } from '../tensor/dtype.js';
import { record } from '../autograd/record.js';
import type { RuleContext } from '../autograd/ops.js';
import { rmsnormForward, rmsnormBackward } from '../kernels/js/rmsnorm.js';
import { checkAffine, rowsOf, toNormalizedShape } from './layer-norm.js';

/**
 * RMS normalization over the last `normalizedShape.length` dims, without
 * re-centering:
 *
 *   y = x / sqrt(mean(x^2) + eps) * weight
 *
 * @param x input of shape `[*, ...normalizedShape]`
 * @param normalizedShape an int or int[]: the trailing dims
 * @param weight optional gain, shape `normalizedShape`
 * @param eps null/undefined (default) means the machine epsilon of x's dtype
 *   (2^-23 for float32, 2^-52 for float64), as PyTorch does
 */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, eps?: number | null): Tensor {
  const ns = toNormalizedShape(normalizedShape, 'rmsNorm');
  const [N, C] = rowsOf(x, ns, 'rmsNorm');
  const w = checkAffine(weight, ns, 'weight', 'rmsNorm');
  const e = eps ?? machineEps(x.dtype);
  const out = allocateUninit(x.dtype, x.size); // the kernel writes every row
  const rstd = new Float64Array(N);
  rmsnormForward(out, rstd, x.data, w ? w.data : null, N, C, e);
  return record(new Tensor(out, x.shape), 'rmsNorm', [x, w], { N, C, rstd });
}

/** Backward rule of `rmsNorm`: gradients of x (through the rms) and weight. */
export function rmsNormBackward({ dout, inputs: [x, w], saved: { N, C, rstd }, needs }: RuleContext<'rmsNorm'>): (Tensor | null)[] {
  const dx = needs[0] ? allocateUninit(x!.dtype, x!.size) : null; // every gradient is overwritten by the kernel
  const dw = needs[1] && w ? allocateUninit(w.dtype, w.size) : null;
  rmsnormBackward(dx, dw, dout.data, x!.data, w ? w.data : null, rstd, N, C);
  return [dx && new Tensor(dx, x!.shape), dw && new Tensor(dw, w!.shape)];
}
