/**
 * batchNorm: batch normalization as a differentiable op, with PyTorch's
 * semantics (torch.nn.functional.batch_norm).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, allocateUninit } from '../tensor/dtype.js';
import { fmtShape, normalizeAxis, numel } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { OpSaved } from '../autograd/ops.js';
import { checkOptions } from '../options.js';
import {
  batchnormBackward, batchnormBackwardEval, batchnormForwardEval, batchnormForwardTrain,
} from '../kernels/js/batchnorm.js';

/** Options of `batchNorm` beyond PyTorch's positional arguments. */
export interface BatchNormOptions {
  /** The channel axis (default 1, PyTorch's layout [N, C, *]; -1 for Keras' channels-last). */
  axis?: number;
  /**
   * Accumulate the unbiased batch variance (sum / (M - 1)) into `runningVar`
   * (default true, PyTorch). `false` accumulates the biased one, as Keras,
   * TensorFlow.js and ONNX do.
   */
  unbiasedRunningVar?: boolean;
}

/** [outer, C, inner] of `shape` around `axis`. */
export function channelView(shape: readonly number[], axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis]!, numel(shape.slice(axis + 1))];
}

/** Throw unless `t` is null or holds exactly C values. */
export function checkPerChannel(t: Tensor | null | undefined, C: number, name: string, x: Tensor, axis: number): void {
  if (t && t.size !== C) {
    throw new RangeError(`${name} should contain ${C} elements (one per channel of dim ${axis} of the input ${fmtShape(x.shape)}), got ${t.size} (shape ${fmtShape(t.shape)})`);
  }
}

/**
 * Batch normalization (Ioffe & Szegedy 2015, "Batch Normalization:
 * Accelerating Deep Network Training by Reducing Internal Covariate Shift",
 * arXiv:1502.03167), PyTorch semantics:
 *
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 *
 * with one mean and variance per channel (dim 1 of an [N, C, *] input, or
 * `opts.axis`), taken over every other dim.
 * - `training = true`: batch statistics, with the **biased** variance. When
 *   `runningMean`/`runningVar` are given they are updated in place:
 *   `r = (1 - momentum) * r + momentum * stat`, where the variance stat is the
 *   **unbiased** batch variance (sum / (M - 1), PyTorch; biased with
 *   `opts.unbiasedRunningVar = false`, as Keras). Gradients flow through the
 *   batch mean and variance.
 * - `training = false`: normalizes with `runningMean`/`runningVar` (required).
 *
 * Momentum is PyTorch's: the weight of the new batch (0.1), not Keras' decay
 * of the old value (0.99 = PyTorch 0.01). Statistics are exact for large
 * offsets (shifted two-pass in float64, see kernels/js/batchnorm.ts).
 *
 * @throws when training with one value per channel ("expected more than 1
 *   value per channel when training, got input size [1, 4]"), when a
 *   per-channel tensor has the wrong size, or when evaluation lacks running stats.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null,
  weight: Tensor | null = null, bias: Tensor | null = null,
  training = false, momentum = 0.1, eps = 1e-5, opts: BatchNormOptions = {},
): Tensor {
  checkOptions('batchNorm', opts, ['axis', 'unbiasedRunningVar']);
  if (x.ndim < 2 && (opts.axis === undefined || opts.axis === 1)) {
    throw new RangeError(`batchNorm expects an input of shape [N, C, *] (at least 2 dims), got ${fmtShape(x.shape)}`);
  }
  const axis = normalizeAxis(opts.axis ?? 1, x.ndim, 'batchNorm axis');
  const [N, C, S] = channelView(x.shape, axis);
  checkPerChannel(runningMean, C, 'running_mean', x, axis);
  checkPerChannel(runningVar, C, 'running_var', x, axis);
  checkPerChannel(weight, C, 'weight', x, axis);
  checkPerChannel(bias, C, 'bias', x, axis);
  const out = allocateUninit(x.dtype, x.size); // both kernels write every element
  const mean = new Float64Array(C);
  const rstd = new Float64Array(C);
  const w = weight ? weight.data : null;
  const b = bias ? bias.data : null;
  if (training) {
    const M = N * S;
    if (M <= 1) throw new RangeError(`expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
    batchnormForwardTrain(out, mean, rstd, x.data, w, b, N, C, S, eps);
    if (runningMean || runningVar) {
      const correction = (opts.unbiasedRunningVar ?? true) ? M / (M - 1) : 1;
      const rm = runningMean ? runningMean.data : null;
      const rv = runningVar ? runningVar.data : null;
      for (let c = 0; c < C; c++) {
        if (rm) rm[c] = (1 - momentum) * rm[c]! + momentum * mean[c]!;
        if (rv) {
          // biased var from the cached rstd = 1/sqrt(var + eps), in float64 (exact to ~1e-16 of var + eps)
          const r = rstd[c]!;
          const v = Math.max(0, 1 / (r * r) - eps);
          rv[c] = (1 - momentum) * rv[c]! + momentum * v * correction;
        }
      }
    }
    return record(new Tensor(out, x.shape), 'batchNorm', [x, weight, bias, null, null], { axis, training, mean, rstd });
  }
  if (!runningMean || !runningVar) {
    throw new Error('batchNorm with training=false needs runningMean and runningVar (got null); pass training=true to use batch statistics');
  }
  batchnormForwardEval(out, x.data, runningMean.data, runningVar.data, w, b, N, C, S, eps);
  // Save copies: running stats are updated in place by later training steps.
  const saved = (): OpSaved['batchNorm'] => {
    for (let c = 0; c < C; c++) {
      mean[c] = runningMean.data[c]!;
      rstd[c] = 1 / Math.sqrt(runningVar.data[c]! + eps);
    }
    return { axis, training, mean, rstd };
  };
  return record(new Tensor(out, x.shape), 'batchNorm', [x, weight, bias, runningMean, runningVar], saved);
}

/**
 * Backward of `batchNorm` (the rule in functional/backward-rules.ts): gradients of
 * [x, weight, bias, runningMean, runningVar], each with its input's own shape
 * and dtype (per-channel gradients have shape [C] whatever the input's rank).
 * In evaluation mode the running statistics are differentiable inputs too:
 *   dmean = -sum(dout * weight) * rstd,  dvar = -1/2 sum(dout * weight * (x - mean)) * rstd^3
 */
export function batchNormBackward(
  dout: Tensor, inputs: readonly (Tensor | null)[], saved: OpSaved['batchNorm'], needs: readonly boolean[],
): (Tensor | null)[] {
  const [x, weight, bias, rm, rv] = inputs;
  const { axis, training, mean, rstd } = saved;
  const [N, C, S] = channelView(x!.shape, axis);
  const dinp = needs[0] ? allocateUninit(x!.dtype, x!.size) : null; // the kernels overwrite their outputs (kernels/js/batchnorm.ts)
  const dweight = needs[1] ? allocate(weight!.dtype, C) : null;
  const dbias = needs[2] ? allocate(bias!.dtype, C) : null;
  const w = weight ? weight.data : null;
  const kernel = training ? batchnormBackward : batchnormBackwardEval;
  kernel(dinp, dweight, dbias, dout.data, x!.data, w, mean, rstd, N, C, S);
  let dmean: Tensor | null = null;
  let dvar: Tensor | null = null;
  if (!training && (needs[3] || needs[4])) {
    const gm = allocate(rm!.dtype, C);
    const gv = allocate(rv!.dtype, C);
    const xd = x!.data;
    const g = dout.data;
    for (let c = 0; c < C; c++) {
      const m = mean[c]!;
      const r = rstd[c]!;
      let s1 = 0;
      let s2 = 0;
      for (let n = 0; n < N; n++) {
        const base = (n * C + c) * S;
        for (let s = 0; s < S; s++) {
          s1 += g[base + s]!;
          s2 += g[base + s]! * (xd[base + s]! - m);
        }
      }
      const wc = w ? w[c]! : 1;
      gm[c] = -s1 * wc * r;
      gv[c] = -0.5 * s2 * wc * r * r * r;
    }
    if (needs[3]) dmean = new Tensor(gm, rm!.shape);
    if (needs[4]) dvar = new Tensor(gv, rv!.shape);
  }
  return [
    dinp ? new Tensor(dinp, x!.shape) : null,
    dweight ? new Tensor(dweight, weight!.shape) : null,
    dbias ? new Tensor(dbias, bias!.shape) : null,
    dmean,
    dvar,
  ];
}
