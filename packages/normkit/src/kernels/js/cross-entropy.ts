/**
 * Cross-entropy with class-index targets, row by row over logits [N, C]:
 * the core of crossEntropy's fused op (src/functional/losses.ts), forward
 * above backward.
 *
 *   forward:   lse_n  = m_n + log sum_c exp(x_nc - m_n)    (m_n = max_c x_nc; stable)
 *              loss_n = lse_n - x_{n,t_n}
 *   backward:  dx_nc  = scale (softmax_nc - [c = t_n]),  softmax_nc = exp(x_nc - lse_n)
 *
 * Targets are class indices in [0, C) held in an Int32Array (the caller
 * checks them; the op saves them as such); lse and loss are float64, so the caller's mean over rows and
 * the backward's softmax start from the unrounded values. A row whose max
 * is -inf or +inf takes m = 0: all -inf gives lse = -inf, a +inf logit
 * lse = +inf (NaN with a NaN in the row), as log-softmax would.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, input, int, num, output } from '../kernel.js';

/**
 * log sum_c exp(x[r + c]) for c < C, shifted by the row's max (a max of
 * +-inf shifts by 0, so an all -inf row gives -inf and a +inf logit inf or
 * NaN, as PyTorch); the sum in float64. Shared by the class-index kernel
 * below and the probability-target loop of src/functional/losses.ts.
 */
export function rowLogSumExp(x: ArrayLike<number>, r: number, C: number): number {
  let m = -Infinity;
  for (let c = 0; c < C; c++) if (x[r + c]! > m) m = x[r + c]!;
  if (m === -Infinity || m === Infinity) m = 0;
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(x[r + c]! - m);
  return m + Math.log(s);
}

/** lse and loss = lse - x[n, t_n] per row of logits [N, C]. */
export const crossEntropyForward = declareKernel('crossEntropyForward', [
  output('lse', 'N', { elem: 'f64' }), output('loss', 'N', { elem: 'f64' }), input('logits', 'N*C'), input('targets', 'N', { elem: 'i32' }),
  int('N'), int('C'),
], function crossEntropyForwardJs(
  lse: Float64Array, loss: Float64Array, x: TypedArray, targets: Int32Array, N: number, C: number,
): void {
  for (let n = 0; n < N; n++) {
    const l = rowLogSumExp(x, n * C, C);
    lse[n] = l;
    loss[n] = l - x[n * C + targets[n]!]!;
  }
});

/** dlogits = scale (softmax - onehot(targets)), from the logits and the forward's lse. */
export const crossEntropyBackward = declareKernel('crossEntropyBackward', [
  output('dlogits', 'N*C'), input('logits', 'N*C'), input('lse', 'N', { elem: 'f64' }), input('targets', 'N', { elem: 'i32' }),
  int('N'), int('C'), num('scale'),
], function crossEntropyBackwardJs(
  g: TypedArray, x: TypedArray, lse: Float64Array, targets: Int32Array, N: number, C: number, scale: number,
): void {
  for (let n = 0; n < N; n++) {
    const r = n * C;
    const l = lse[n]!;
    for (let c = 0; c < C; c++) g[r + c] = scale * Math.exp(x[r + c]! - l);
    g[r + targets[n]!] -= scale;
  }
});
