/**
 * Loss functions with PyTorch's options (`reduction`, `weight`,
 * `ignoreIndex`, `labelSmoothing`, `[N, C, d...]` logits), mean-reduced by
 * default as PyTorch.
 *
 * The plain case of crossEntropy (2-D logits, default options) is one fused
 * op; every other case is composed from recorded ops (logSoftmax, mul, sum),
 * so its gradient comes from autograd. The fused op:
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
 * With class indices the row loops are the declared kernels
 * crossEntropyForward/crossEntropyBackward (src/kernels/js/cross-entropy.ts;
 * SIMD on the wasm backend); probability targets keep the loops here.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import { mean, sum } from './reduce.js';
import { abs, add, div, log as logOf, mul, neg, pow, relu, sub } from './elementwise.js';
import { logSoftmax } from './softmax.js';
import { permute, reshape, slice, stack } from './shape-ops.js';
import { zerosLike } from '../tensor/create.js';
import { checkOptions } from '../options.js';
import { crossEntropyForward, crossEntropyBackward as crossEntropyBackwardRows, rowLogSumExp } from '../kernels/js/cross-entropy.js';

/** How a loss reduces its per-element values: PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of `crossEntropy` (PyTorch's `F.cross_entropy` keywords, camelCase). */
export interface CrossEntropyOptions {
  /** Per-class rescaling weight [C] (default none). */
  weight?: Tensor | null;
  /** Class index whose targets contribute nothing, gradient included (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** 'mean' (default; weighted mean over non-ignored targets), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Mix the target with the uniform distribution: (1 - e) target + e / C (Szegedy et al. 2016; default 0). */
  labelSmoothing?: number;
}

/** Options of `nllLoss`. */
export type NLLLossOptions = Omit<CrossEntropyOptions, 'labelSmoothing'>;

function checkReduction(where: string, r: unknown): Reduction {
  const red = (r ?? 'mean') as Reduction;
  if (red !== 'mean' && red !== 'sum' && red !== 'none') throw new RangeError(`${where}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  return red;
}

function reduce(x: Tensor, red: Reduction): Tensor {
  return red === 'mean' ? mean(x) : red === 'sum' ? sum(x) : x;
}

/** [N, C, d1..dk] -> [N d1..dk, C] (class dim last), and the per-row shape [N, d1..dk]. */
function classLast(x: Tensor): [Tensor, number[]] {
  if (x.ndim === 2) return [x, [x.shape[0]!]];
  const perm = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1];
  const rowShape = [x.shape[0]!, ...x.shape.slice(2)];
  return [reshape(permute(x, perm), [rowShape.reduce((a, b) => a * b, 1), x.shape[1]!]), rowShape];
}

/** Class indices for `crossEntropy`: integers in [0, C). */
export type Targets = Int32Array | readonly number[] | Tensor;

/**
 * Cross-entropy, as `torch.nn.functional.cross_entropy`, between `logits`
 * [N, C] (or [N, C, d1, ...], or [C] unbatched) and `targets`: class indices
 * (an Int32Array, number[] or Tensor of integral values, shape [N, d1, ...])
 * or class probabilities (a Tensor shaped like the logits). With
 * lp = logSoftmax(logits) over the class dim, w the class weights (1 when
 * none), e = labelSmoothing and t_i the target of row i (PyTorch's
 * cross_entropy_loss_label_smoothing, LossNLL.cpp):
 *
 *   indices:  l_i = (1 - e) (-w[t_i] lp[i, t_i]) + (e / C) (-sum_c w[c] lp[i, c]),
 *             0 for rows with t_i = ignoreIndex;
 *             mean = sum_i l_i / sum_{i not ignored} w[t_i]
 *   probabilities p: q = (1 - e) p + e / C;  l_i = -sum_c w[c] q[i, c] lp[i, c];
 *             mean = sum_i l_i / (number of rows)
 *
 * Stable for large logits (log-softmax subtracts the row max).
 */
export function crossEntropy(logits: Tensor, targets: Targets, opts: CrossEntropyOptions = {}): Tensor {
  checkOptions('crossEntropy', opts, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  const plain = opts.weight == null && (opts.reduction ?? 'mean') === 'mean' && !opts.labelSmoothing && logits.ndim === 2;
  const ii = opts.ignoreIndex ?? -100;
  const softT = targets instanceof Tensor && targets.ndim === 2;
  const hasIgnored = !softT && Array.prototype.some.call(targets instanceof Tensor ? targets.data : targets, (t: number) => t === ii);
  if (!plain || hasIgnored || (softT && opts.ignoreIndex !== undefined)) return composedCrossEntropy('crossEntropy', logits, targets, opts, true);
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
  if (!soft) {
    // class indices: the declared kernel (SIMD on the wasm backend)
    const loss = new Float64Array(N);
    crossEntropyForward(lse, loss, x, idx!, N, C);
    for (let n = 0; n < N; n++) total += loss[n]!;
    const out = allocate(logits.dtype, 1);
    out[0] = total / N;
    return record(new Tensor(out, []), 'crossEntropy', [logits], { targets: idx, lse });
  }
  const p = (targets as Tensor).data;
  for (let n = 0; n < N; n++) {
    const r = n * C;
    const l = rowLogSumExp(x, r, C);
    lse[n] = l;
    let acc = 0;
    for (let c = 0; c < C; c++) {
      const pc = p[r + c]!;
      if (pc !== 0) acc += pc * (l - x[r + c]!);
    }
    total += acc;
  }
  const out = allocate(logits.dtype, 1);
  out[0] = total / N;
  return record(new Tensor(out, []), 'crossEntropy', [logits, targets as Tensor], { targets: idx, lse });
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
    if (probs) {
      const p = probs.data;
      for (let n = 0; n < N; n++) {
        const r = n * C;
        const l = lse[n]!;
        let ps = 0;
        for (let c = 0; c < C; c++) ps += p[r + c]!;
        for (let c = 0; c < C; c++) g[r + c] = scale * (Math.exp(x[r + c]! - l) * ps - p[r + c]!);
      }
    } else crossEntropyBackwardRows(g, x, lse, targets!, N, C, scale);
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
export function mseLoss(a: Tensor, b: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkOptions('mseLoss', opts, ['reduction']);
  const red = checkReduction('mseLoss', opts.reduction);
  sameShape('mseLoss', a, b);
  return reduce(pow(sub(a, b), 2), red);
}

function sameShape(where: string, a: Tensor, b: Tensor): void {
  if (!shapeEq(a.shape, b.shape)) {
    throw new RangeError(`${where}: input and target shapes differ: ${fmtShape(a.shape)} vs ${fmtShape(b.shape)}`);
  }
  if (a.size === 0) throw new RangeError(`${where}: empty input (shape ${fmtShape(a.shape)})`);
}

/** Mean absolute error |a - b| (`F.l1_loss`), reduced by `reduction` (default 'mean'). */
export function l1Loss(a: Tensor, b: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkOptions('l1Loss', opts, ['reduction']);
  const red = checkReduction('l1Loss', opts.reduction);
  sameShape('l1Loss', a, b);
  return reduce(abs(sub(a, b)), red);
}

/**
 * Huber loss (Huber 1964; `F.huber_loss`), d = a - b:
 *   l = 0.5 d^2 if |d| < delta, else delta (|d| - 0.5 delta)
 * written as 0.5 q^2 + delta (|d| - q) with q = min(|d|, delta) = |d| - relu(|d| - delta).
 */
export function huberLoss(a: Tensor, b: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  checkOptions('huberLoss', opts, ['reduction', 'delta']);
  const red = checkReduction('huberLoss', opts.reduction);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be > 0, got ${delta}`);
  sameShape('huberLoss', a, b);
  const ad = abs(sub(a, b));
  const q = sub(ad, relu(sub(ad, delta)));
  return reduce(add(mul(pow(q, 2), 0.5), mul(sub(ad, q), delta)), red);
}

/** Smooth L1 (`F.smooth_l1_loss`, Girshick 2015): huberLoss(delta = beta) / beta; beta = 0 gives L1. */
export function smoothL1Loss(a: Tensor, b: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor {
  checkOptions('smoothL1Loss', opts, ['reduction', 'beta']);
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  if (beta === 0) return l1Loss(a, b, { reduction: opts.reduction });
  return div(huberLoss(a, b, { reduction: opts.reduction, delta: beta }), beta);
}

/** log sigmoid(x) and log sigmoid(-x), stably and with exact gradients: log-softmax over the pair (x, 0). */
function logSigmoidPair(x: Tensor): [Tensor, Tensor] {
  const ls = logSoftmax(stack([x, zerosLike(x)], -1), -1);
  return [reshape(slice(ls, -1, 0, 1), x.shape), reshape(slice(ls, -1, 1, 2), x.shape)];
}

/** Options of `bceWithLogits`. */
export interface BCEWithLogitsOptions {
  /** Per-element rescaling weight, broadcast against the input (default none). */
  weight?: Tensor | null;
  /** Weight of the positive term, broadcast over the last (class) dim (default none). */
  posWeight?: Tensor | null;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits (`F.binary_cross_entropy_with_logits`):
 *   l = -w [ posWeight y log sigmoid(x) + (1 - y) log sigmoid(-x) ]
 * (= (1 - y) x + (1 + (posWeight - 1) y) softplus(-x), PyTorch's form), stable for any x.
 */
export function bceWithLogits(x: Tensor, y: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  checkOptions('bceWithLogits', opts, ['weight', 'posWeight', 'reduction']);
  const red = checkReduction('bceWithLogits', opts.reduction);
  sameShape('bceWithLogits', x, y);
  const [lsp, lsn] = logSigmoidPair(x);
  const pos = opts.posWeight ? mul(mul(y, opts.posWeight), lsp) : mul(y, lsp);
  let l = neg(add(pos, mul(sub(1, y), lsn)));
  if (opts.weight) l = mul(l, opts.weight);
  return reduce(l, red);
}

/** Binary cross-entropy on probabilities (`F.binary_cross_entropy`): -w [y log p + (1 - y) log(1 - p)], logs clamped at -100 as PyTorch. */
export function bceLoss(p: Tensor, y: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  checkOptions('bceLoss', opts, ['weight', 'reduction']);
  const red = checkReduction('bceLoss', opts.reduction);
  sameShape('bceLoss', p, y);
  for (let i = 0; i < p.size; i++) {
    const v = p.data[i]!;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`bceLoss: input values must be probabilities in [0, 1], got ${v} at ${i}`);
  }
  // PyTorch clamps log(p) and log(1 - p) at -100: log(max(p, e^-100)) keeps the gradient finite
  const tiny = Math.exp(-100);
  const clampLog = (t: Tensor) => logOf(add(relu(sub(t, tiny)), tiny));
  let l = neg(add(mul(y, clampLog(p)), mul(sub(1, y), clampLog(sub(1, p)))));
  if (opts.weight) l = mul(l, opts.weight);
  return reduce(l, red);
}

/**
 * Negative log-likelihood (`F.nll_loss`) of log-probabilities `input` [N, C]
 * (or [N, C, d...]): l_i = -w[t_i] input[i, t_i], 0 where t_i = ignoreIndex;
 * mean = sum_i l_i / sum_{i not ignored} w[t_i].
 */
export function nllLoss(input: Tensor, targets: Targets, opts: NLLLossOptions = {}): Tensor {
  checkOptions('nllLoss', opts, ['weight', 'ignoreIndex', 'reduction']);
  return composedCrossEntropy('nllLoss', input, targets, opts, false);
}

function composedCrossEntropy(where: string, logits: Tensor, targets: Targets, opts: CrossEntropyOptions, withSoftmax: boolean): Tensor {
  const red = checkReduction(where, opts.reduction);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${where}: labelSmoothing must be in [0, 1], got ${eps}`);
  const ignore = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignore)) throw new RangeError(`${where}: ignoreIndex must be an integer, got ${ignore}`);
  if (logits.ndim === 0) throw new RangeError(`${where}: expected logits with shape [N, C, ...] or [C], got a scalar`);
  const unbatched = logits.ndim === 1;
  const x = unbatched ? reshape(logits, [1, logits.shape[0]!]) : logits;
  const C = x.shape[1]!;
  const w = opts.weight ?? null;
  if (w && (w.ndim !== 1 || w.shape[0] !== C)) throw new RangeError(`${where}: weight must have shape [${C}] (one per class), got ${fmtShape(w.shape)}`);
  const [x2, rowShape] = classLast(x);
  const M = x2.shape[0]!;
  if (M === 0 && red === 'mean') throw new RangeError(`${where}: logits have no rows (shape ${fmtShape(logits.shape)}); the mean is undefined`);
  const lp = withSoftmax ? logSoftmax(x2, -1) : x2;
  const outShape = unbatched ? [] : rowShape;
  const soft = targets instanceof Tensor && targets.ndim === logits.ndim && targets.ndim >= 1 && !(targets.ndim === 1 && !unbatched);
  if (soft) {
    const t = targets as Tensor;
    if (!shapeEq(t.shape, logits.shape)) throw new RangeError(`${where}: probability targets must have the logits' shape ${fmtShape(logits.shape)}, got ${fmtShape(t.shape)}`);
    if (!withSoftmax) throw new RangeError(`${where}: expected class-index targets, got a float tensor shaped like the input`);
    if (opts.ignoreIndex !== undefined) throw new RangeError(`${where}: ignoreIndex is not supported with probability targets (as PyTorch)`);
    let q = classLast(unbatched ? reshape(t, [1, C]) : t)[0];
    if (eps > 0) q = add(mul(q, 1 - eps), eps / C);
    if (w) q = mul(q, w);
    const rows = neg(sum(mul(lp, q), -1));
    if (red === 'mean') return div(sum(rows), M);
    return red === 'sum' ? sum(rows) : reshape(rows, outShape);
  }
  const src: ArrayLike<number> = targets instanceof Tensor ? targets.data : targets;
  const tShape = targets instanceof Tensor ? targets.shape : null;
  if (src.length !== M || (tShape && !shapeEq(tShape, outShape) && !(unbatched && tShape.length === 1))) {
    throw new RangeError(`${where}: expected ${M} class-index targets of shape ${fmtShape(outShape)} (one per row of logits ${fmtShape(logits.shape)}), got ${tShape ? fmtShape(tShape) : src.length}`);
  }
  // A[i, c]: the constant coefficients of lp in l_i (see crossEntropy's formula)
  const A = allocate(x2.dtype, M * C);
  const wd = w ? w.data : null;
  let denom = 0;
  for (let i = 0; i < M; i++) {
    const t = src[i]!;
    if (t === ignore) continue;
    if (!Number.isInteger(t) || t < 0 || t >= C) throw new RangeError(`${where}: target ${t} at position ${i} is not a class index in [0, ${C - 1}] (nor ignoreIndex ${ignore})`);
    const wt = wd ? wd[t]! : 1;
    denom += wt;
    A[i * C + t] += (1 - eps) * wt;
    if (eps > 0) for (let c = 0; c < C; c++) A[i * C + c] += (eps / C) * (wd ? wd[c]! : 1);
  }
  const rows = neg(sum(mul(lp, new Tensor(A, [M, C])), -1));
  // the weights are constants here; a weight Tensor that requires grad gets none (as PyTorch's nll_loss)
  if (red === 'mean') return div(sum(rows), denom);
  return red === 'sum' ? sum(rows) : reshape(rows, outShape);
}
