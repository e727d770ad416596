/**
 * layerNorm: Layer Normalization (Ba, Kiros & Hinton 2016,
 * arXiv:1607.06450), PyTorch semantics (`torch.nn.functional.layer_norm`).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { fmtShape, numel, shapeEq } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { RuleContext } from '../autograd/ops.js';
import { layernormForward, layernormBackward } from '../kernels/js/layernorm.js';

/** `normalizedShape` as a list (an int means `[int]`), checked to hold positive integers. */
export function toNormalizedShape(s: number | readonly number[], who: string): number[] {
  const ns = typeof s === 'number' ? [s] : [...s];
  if (!Array.isArray(ns) || ns.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new RangeError(`${who}: normalizedShape must be a positive integer or a list of them, got ${Array.isArray(s) ? fmtShape(s) : String(s)}`);
  }
  return ns;
}

/**
 * [N, C] view of `x` for a row-wise op over its trailing `shape`:
 * C = numel(shape), N = the product of the leading dims. Throws
 * "expected input with shape [*, 3, 5], got [2, 4, 5]" when the trailing dims differ.
 */
export function rowsOf(x: Tensor, shape: readonly number[], who: string): [number, number] {
  const k = shape.length;
  if (x.ndim < k || !shapeEq(x.shape.slice(x.ndim - k), shape)) {
    throw new RangeError(`${who}: expected input with shape [*${shape.map((d) => `, ${d}`).join('')}], got ${fmtShape(x.shape)}`);
  }
  const C = numel(shape);
  return [C === 0 ? 0 : x.size / C, C];
}

/** Check an optional affine parameter's shape against `normalizedShape`. */
export function checkAffine(t: Tensor | null | undefined, shape: readonly number[], name: string, who: string): Tensor | null {
  if (!t) return null;
  if (!shapeEq(t.shape, shape)) {
    throw new RangeError(`${who}: expected ${name} of shape ${fmtShape(shape)} (normalizedShape), got ${fmtShape(t.shape)}`);
  }
  return t;
}

/**
 * Layer normalization over the last `normalizedShape.length` dims:
 *
 *   y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias
 *
 * with the mean and the **biased** variance (divide by the number of
 * elements) taken per sample over those dims. Same computation in training
 * and inference. `weight`/`bias` (shape `normalizedShape`) are optional.
 * Statistics are computed stably (row shift + two passes in float64), so an
 * input like `randn + 2000` in float32 normalizes correctly.
 *
 * @param x input of shape `[*, ...normalizedShape]`
 * @param normalizedShape an int or int[]: the trailing dims to normalize over
 * @param weight optional gain, shape `normalizedShape`
 * @param bias optional shift, shape `normalizedShape`
 * @param eps added to the variance inside the square root (default 1e-5, PyTorch's; Keras uses 1e-3)
 */
export function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
): Tensor {
  const ns = toNormalizedShape(normalizedShape, 'layerNorm');
  const [N, C] = rowsOf(x, ns, 'layerNorm');
  const w = checkAffine(weight, ns, 'weight', 'layerNorm');
  const b = checkAffine(bias, ns, 'bias', 'layerNorm');
  const out = allocateUninit(x.dtype, x.size); // the kernel writes every row
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  layernormForward(out, mean, rstd, x.data, w ? w.data : null, b ? b.data : null, N, C, eps);
  return record(new Tensor(out, x.shape), 'layerNorm', [x, w, b], { N, C, mean, rstd });
}

/** Backward rule of `layerNorm`: gradients of x, weight, bias (exact, through mean and variance). */
export function layerNormBackward({ dout, inputs: [x, w, b], saved: { N, C, mean, rstd }, needs }: RuleContext<'layerNorm'>): (Tensor | null)[] {
  const dx = needs[0] ? allocateUninit(x!.dtype, x!.size) : null; // every gradient is overwritten by the kernel
  const dw = needs[1] && w ? allocateUninit(w.dtype, w.size) : null;
  const db = needs[2] && b ? allocateUninit(b.dtype, b.size) : null;
  layernormBackward(dx, dw, db, dout.data, x!.data, w ? w.data : null, mean, rstd, N, C);
  return [dx && new Tensor(dx, x!.shape), dw && new Tensor(dw, w!.shape), db && new Tensor(db, b!.shape)];
}
