/**
 * Loss functions, mean-reduced as PyTorch's defaults.
 *
 * crossEntropy, fused (one primitive op, no [N, C] intermediate kept):
 *   Shapes: logits [N, C], targets [N] (class indices) or [N, C] (probabilities).
 *   forward:   lse_n = m_n + log sum_c exp(x_nc - m_n)     (m_n = max_c x_nc; stable)
 *              loss  = (1/N) sum_n (lse_n - x_{n,t_n})                   (indices)
 *              loss  = (1/N) sum_n sum_c p_nc (lse_n - x_nc)             (probabilities)
 *   backward:  dx_nc = dloss/N (softmax_nc - [c = t_n])                   (indices)
 *              dx_nc = dloss/N (softmax_nc sum_c' p_nc' - p_nc)           (probabilities)
 *              dp_nc = dloss/N (lse_n - x_nc)
 * Only the per-row lse (float64) is saved; softmax is recomputed from it.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { mean } from './reduce.js';
import { pow } from './elementwise.js';
import { sub } from './elementwise.js';

/** Class indices for `crossEntropy`: integers in [0, C). */
export type Targets = Int32Array | readonly number[] | Tensor;

/**
 * Cross-entropy between `logits` [N, C] and `targets`: class indices (an
 * Int32Array, number[] or a [N] Tensor of integral values) or class
 * probabilities (a [N, C] Tensor, as PyTorch's soft targets). Mean over the
 * N rows. Computed through log-softmax, so it is stable for large logits.
 * For sequence outputs [B, T, C], reshape to [B*T, C] first.
 */
export function crossEntropy(logits: Tensor, targets: Targets): Tensor {
  if (logits.ndim !== 2) {
    throw new RangeError(`crossEntropy: expected logits with shape [N, C], got ${fmtShape(logits.shape)} (reshape [B, T, C] logits to [B*T, C])`);
  }
  const [N, C] = logits.shape as [number, number];
  if (N === 0) throw new RangeError('crossEntropy: logits have no rows (shape [0, C]); the mean is undefined');
  const soft = targets instanceof Tensor && targets.ndim === 2;
  let idx: Int32Array | null = null;
  if (soft) {
    if (!shapeEq((targets as Tensor).shape, logits.shape)) {
      throw new RangeError(`crossEntropy: probability targets must have the logits' shape ${fmtShape(logits.shape)}, got ${fmtShape((targets as Tensor).shape)}`);
    }
  } else {
    const src: ArrayLike<number> = targets instanceof Tensor ? targets.data : targets;
    if (targets instanceof Tensor && targets.ndim !== 1) {
      throw new RangeError(`crossEntropy: expected class-index targets with shape [${N}] or probabilities [${N}, ${C}], got ${fmtShape(targets.shape)}`);
    }
    if (src.length !== N) throw new RangeError(`crossEntropy: expected ${N} targets (one per row of logits ${fmtShape(logits.shape)}), got ${src.length}`);
    idx = new Int32Array(N);
    for (let n = 0; n < N; n++) {
      const t = src[n]!;
      if (!Number.isInteger(t) || t < 0 || t >= C) {
        throw new RangeError(`crossEntropy: target ${t} at position ${n} is not a class index in [0, ${C - 1}]`);
      }
      idx[n] = t;
    }
  }
  const x = logits.data;
  const lse = new Float64Array(N);
  let total = 0;
  const p = soft ? (targets as Tensor).data : null;
  for (let n = 0; n < N; n++) {
    const r = n * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) if (x[r + c]! > m) m = x[r + c]!;
    if (m === -Infinity || m === Infinity) m = 0;
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[r + c]! - m);
    const l = m + Math.log(s);
    lse[n] = l;
    if (p) {
      let acc = 0;
      for (let c = 0; c < C; c++) {
        const pc = p[r + c]!;
        if (pc !== 0) acc += pc * (l - x[r + c]!);
      }
      total += acc;
    } else total += l - x[r + idx![n]!]!;
  }
  const out = allocate(logits.dtype, 1);
  out[0] = total / N;
  const inputs = soft ? [logits, targets as Tensor] : [logits];
  return record(new Tensor(out, []), 'crossEntropy', inputs, { targets: idx, lse });
}

/** Gradients of `crossEntropy`: [dlogits, dtargets (probability targets only)]. */
export function crossEntropyBackward(
  dout: Tensor, logits: Tensor, probs: Tensor | null, targets: Int32Array | null, lse: Float64Array, needs: readonly boolean[],
): (Tensor | null)[] {
  const [N, C] = logits.shape as [number, number];
  const scale = dout.data[0]! / N;
  const x = logits.data;
  let dx: Tensor | null = null;
  let dp: Tensor | null = null;
  if (needs[0]) {
    const g = allocate(logits.dtype, N * C);
    const p = probs ? probs.data : null;
    for (let n = 0; n < N; n++) {
      const r = n * C;
      const l = lse[n]!;
      if (p) {
        let ps = 0;
        for (let c = 0; c < C; c++) ps += p[r + c]!;
        for (let c = 0; c < C; c++) g[r + c] = scale * (Math.exp(x[r + c]! - l) * ps - p[r + c]!);
      } else {
        for (let c = 0; c < C; c++) g[r + c] = scale * Math.exp(x[r + c]! - l);
        g[r + targets![n]!] -= scale;
      }
    }
    dx = new Tensor(g, logits.shape);
  }
  if (needs[1] && probs) {
    const g = allocate(probs.dtype, N * C);
    for (let n = 0; n < N; n++) {
      const r = n * C;
      const l = lse[n]!;
      for (let c = 0; c < C; c++) g[r + c] = scale * (l - x[r + c]!);
    }
    dp = new Tensor(g, probs.shape);
  }
  return [dx, dp];
}

/**
 * Mean squared error, `mean((a - b)^2)` over all elements (PyTorch's
 * `mse_loss` with `reduction='mean'`). Shapes must match exactly: a silent
 * broadcast of [N] against [N, 1] is a classic bug, so it is an error here.
 */
export function mseLoss(a: Tensor, b: Tensor): Tensor {
  if (!shapeEq(a.shape, b.shape)) {
    throw new RangeError(`mseLoss: input and target shapes differ: ${fmtShape(a.shape)} vs ${fmtShape(b.shape)}`);
  }
  if (a.size === 0) throw new RangeError(`mseLoss: empty input (shape ${fmtShape(a.shape)})`);
  return mean(pow(sub(a, b), 2));
}
