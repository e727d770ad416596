/**
 * Gradient clipping by global norm (Pascanu et al. 2013), as
 * `torch.nn.utils.clip_grad_norm_`.
 */
import type { Tensor } from '../tensor/tensor.js';

/**
 * Scale all gradients by min(1, maxNorm / (total + 1e-6)) where total is the
 * norm of all gradients taken together (2-norm, or the max-norm for
 * `normType = Infinity`). Returns the total norm before clipping.
 * Parameters without a gradient are skipped.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType: 2 | typeof Infinity = 2): number {
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (normType !== 2 && normType !== Infinity) throw new RangeError(`clipGradNorm: normType must be 2 or Infinity, got ${normType}`);
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
    } else {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
      total += s;
    }
  }
  if (normType === 2) total = Math.sqrt(total);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] *= coef;
    }
  }
  return total;
}
