/**
 * localResponseNorm: Local Response Normalization across channels
 * (Krizhevsky, Sutskever & Hinton 2012, AlexNet), PyTorch's formula
 * (`torch.nn.functional.local_response_norm`).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { numel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { RuleContext } from '../autograd/ops.js';
import { lrnForward, lrnBackward } from '../kernels/js/lrn.js';

/**
 * b_c = a_c (k + alpha/size * sum_{c'} a_{c'}^2)^-beta, the sum over the
 * `size` channels from c - floor(size/2) to c + floor((size-1)/2), channels
 * outside the input counting as zero (PyTorch pads, then averages over
 * `size` even at the edges).
 *
 * @param x input `[N, C, *spatial]` (rank >= 3)
 * @param size number of neighbouring channels in the window (positive integer)
 * @param alpha multiplicative factor (default 1e-4)
 * @param beta exponent (default 0.75)
 * @param k additive factor (default 1)
 */
export function localResponseNorm(x: Tensor, size: number, alpha = 1e-4, beta = 0.75, k = 1): Tensor {
  if (x.ndim < 3) {
    throw new RangeError(`localResponseNorm: expected 3D or higher dimensionality input (got ${x.ndim} dimensions)`);
  }
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`localResponseNorm: size must be a positive integer, got ${size}`);
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const S = numel(x.shape.slice(2));
  const out = allocate(x.dtype, x.size);
  const scale = new Float64Array(x.size);
  lrnForward(out, scale, x.data, N, C, S, size, alpha, beta, k);
  return record(new Tensor(out, x.shape), 'localResponseNorm', [x], { size, alpha, beta, k, scale });
}

/** Backward rule of `localResponseNorm`. */
export function localResponseNormBackward({ dout, inputs: [x], saved: { size, alpha, beta, scale } }: RuleContext<'localResponseNorm'>): (Tensor | null)[] {
  const dx = allocate(x!.dtype, x!.size);
  lrnBackward(dx, dout.data, x!.data, scale, x!.shape[0]!, x!.shape[1]!, numel(x!.shape.slice(2)), size, alpha, beta);
  return [new Tensor(dx, x!.shape)];
}
