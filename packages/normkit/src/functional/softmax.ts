/**
 * softmax and logSoftmax: normalizing outputs to a probability distribution.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { normalizeAxis, numel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { softmaxForward } from '../kernels/js/softmax.js';

/** [outer, D, inner] view of `shape` around `axis`. */
export function lines(shape: readonly number[], axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis]!, numel(shape.slice(axis + 1))];
}

/**
 * softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim` (default -1),
 * computed stably by subtracting the max.
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  const a = normalizeAxis(dim, x.ndim);
  const out = allocateUninit(x.dtype, x.size); // every line is written
  const [o, d, i] = lines(x.shape, a);
  softmaxForward(out, x.data, o, d, i, false);
  return record(new Tensor(out, x.shape), 'softmax', [x], { axis: a });
}

/** log(softmax(x)) along `dim`, without forming softmax (stable for large logits). */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  const a = normalizeAxis(dim, x.ndim);
  const out = allocateUninit(x.dtype, x.size);
  const [o, d, i] = lines(x.shape, a);
  softmaxForward(out, x.data, o, d, i, true);
  return record(new Tensor(out, x.shape), 'logSoftmax', [x], { axis: a });
}
