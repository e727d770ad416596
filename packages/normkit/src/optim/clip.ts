/**
 * Gradient clipping, as `torch.nn.utils.clip_grad_norm_` (Pascanu et al.
 * 2013) and `clip_grad_value_`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../options.js';

/**
 * Scale all gradients by min(1, maxNorm / (total + 1e-6)), where total is
 * the p-norm of all gradients taken together, (sum |g|^p)^(1/p) (p > 0), or
 * max |g| for `normType = Infinity`. Returns the total norm before clipping.
 * Parameters without a gradient are skipped. With `errorIfNonfinite`, a NaN
 * or infinite total throws instead of scaling (PyTorch's option).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2, opts: { errorIfNonfinite?: boolean } = {}): number {
  checkOptions('clipGradNorm', opts, ['errorIfNonfinite']);
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new RangeError(`clipGradNorm: normType must be a positive number or Infinity, got ${normType}`);
  const grads: Tensor[] = [];
  for (const p of params) if (p.grad) grads.push(p.grad);
  let total = 0;
  for (const g of grads) {
    const d = g.data;
    if (normType === Infinity) {
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]!);
        if (a > total || a !== a) total = a;
      }
    } else if (normType === 2) {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
      total += s;
    } else {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += Math.pow(Math.abs(d[i]!), normType);
      total += s;
    }
  }
  if (normType !== Infinity) total = Math.pow(total, 1 / normType);
  if (opts.errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(`clipGradNorm: the total norm of order ${normType} for gradients is non-finite (${total}), so it cannot be clipped`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] *= coef;
    }
  }
  return total;
}

/** Clamp every gradient element to [-clipValue, clipValue] in place (`clip_grad_value_`). */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  for (const p of params) {
    if (!p.grad) continue;
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v > clipValue) d[i] = clipValue;
      else if (v < -clipValue) d[i] = -clipValue;
    }
  }
}
