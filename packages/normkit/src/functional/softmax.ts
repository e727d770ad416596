/**
 * softmax and logSoftmax: normalizing outputs to a probability distribution.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { normalizeAxis, numel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { attentionSoftmaxForward, softmaxForward } from '../kernels/js/softmax.js';

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

/**
 * The attention weights softmax(scale * x + M) along the last axis of x
 * [..., T, S] in one pass: scaled dot-product attention's scale, mask and
 * softmax (Vaswani et al. 2017, eq. 1: softmax(Q K^T / sqrt(d_k)) V), with M
 * the causal mask when `causal` (-inf where key s > query t, as
 * `torch.nn.functional.scaled_dot_product_attention(is_causal=True)`), else 0.
 * Masked weights are exactly 0 and get no gradient. Equal to
 * `softmax(add(mul(x, scale), mask), -1)` without the two temporaries and
 * their backward passes; for a power-of-two scale (head size 4, 16, 64, ...)
 * bit for bit equal to scaling q before the product, as
 * `nn.MultiheadAttention` did before this op.
 *
 * @example
 * const scores = nk.randn([2, 4, 8, 8]);              // [B, H, T, S] = Q K^T
 * const w = F.attentionSoftmax(scores, 1 / Math.sqrt(16), true);
 */
export function attentionSoftmax(x: Tensor, scale: number, causal = false): Tensor {
  if (x.ndim < 2) throw new RangeError(`attentionSoftmax: expected scores with at least 2 dims [..., T, S], got shape [${x.shape.join(', ')}]`);
  if (!Number.isFinite(scale)) throw new RangeError(`attentionSoftmax: scale has to be finite, got ${scale}`);
  const D = x.shape[x.ndim - 1]!, T = x.shape[x.ndim - 2]!;
  const out = allocateUninit(x.dtype, x.size); // every element is written (masked ones as 0)
  const rows = D === 0 ? 0 : x.size / D;
  if (rows > 0) attentionSoftmaxForward(out, x.data, rows, D, T, scale, causal);
  return record(new Tensor(out, x.shape), 'attentionSoftmax', [x], { scale, T, causal });
}
