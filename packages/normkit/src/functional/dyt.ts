/**
 * dyt: Dynamic Tanh (Zhu, Chen, He, LeCun & Liu 2025, "Transformers without
 * Normalization", arXiv:2503.10622), the element-wise replacement of
 * LayerNorm in Transformers.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { RuleContext } from '../autograd/ops.js';
import { dytForward, dytBackward } from '../kernels/js/dyt.js';
import { rowsOf } from './layer-norm.js';

/**
 * y = weight * tanh(alpha * x) + bias, with a scalar `alpha` (a one-element
 * tensor to learn it, or a number) and per-feature `weight`/`bias` over the
 * trailing dims of x (their shape).
 *
 * @param x input of shape `[*, ...weight.shape]`
 * @param alpha scalar: a number or a one-element tensor (shape [1] or [])
 * @param weight optional gain
 * @param bias optional shift, same shape as weight
 */
export function dyt(x: Tensor, alpha: Tensor | number, weight?: Tensor | null, bias?: Tensor | null): Tensor {
  const w = weight ?? null;
  const b = bias ?? null;
  if (alpha instanceof Tensor && alpha.size !== 1) {
    throw new RangeError(`dyt: alpha must hold one value (shape [1] or []), got shape ${fmtShape(alpha.shape)}`);
  }
  if (w && b && w.size !== b.size) {
    throw new RangeError(`dyt: weight ${fmtShape(w.shape)} and bias ${fmtShape(b.shape)} must have the same shape`);
  }
  const affineShape = w ? w.shape : b ? b.shape : [];
  const [N, C] = rowsOf(x, affineShape, 'dyt');
  const a = alpha instanceof Tensor ? alpha.data[0]! : alpha;
  const out = allocate(x.dtype, x.size);
  dytForward(out, x.data, a, w ? w.data : null, b ? b.data : null, N, C);
  return record(new Tensor(out, x.shape), 'dyt', [x, alpha instanceof Tensor ? alpha : null, w, b], { N, C, alpha: a });
}

/** Backward rule of `dyt`: gradients of x, alpha, weight, bias. */
export function dytBackwardRule({ dout, inputs: [x, al, w, b], saved: { N, C, alpha }, needs }: RuleContext<'dyt'>): (Tensor | null)[] {
  const dx = needs[0] ? allocateUninit(x!.dtype, x!.size) : null;
  const da = needs[1] ? new Float64Array(1) : null;
  const dw = needs[2] && w ? allocateUninit(w.dtype, w.size) : null;
  const db = needs[3] && b ? allocateUninit(b.dtype, b.size) : null;
  dytBackward(dx, da, dw, db, dout.data, x!.data, alpha, w ? w.data : null, N, C);
  let dAlpha: Tensor | null = null;
  if (da) {
    const g = allocate(al!.dtype, 1);
    g[0] = da[0]!;
    dAlpha = new Tensor(g, al!.shape);
  }
  return [dx && new Tensor(dx, x!.shape), dAlpha, dw && new Tensor(dw, w!.shape), db && new Tensor(db, b!.shape)];
}
