/**
 * groupNorm: group normalization as a differentiable op, with PyTorch's
 * semantics (torch.nn.functional.group_norm).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { record } from '../autograd/record.js';
import type { OpSaved } from '../autograd/ops.js';
import { groupnormBackward, groupnormForward } from '../kernels/js/groupnorm.js';
import { channelView, checkPerChannel } from './batch-norm.js';

/**
 * Group normalization (Wu & He 2018, "Group Normalization", arXiv:1803.08494):
 * the C channels of an [N, C, *] input are split into `numGroups` groups of
 * consecutive channels; each (sample, group) is normalized over its channels
 * and spatial dims with the biased variance, then scaled and shifted per
 * channel:
 *
 *   y[n, c, ...] = (x - mean[n, g(c)]) / sqrt(var[n, g(c)] + eps) * weight[c] + bias[c]
 *
 * Same in training and evaluation; works with batch size 1. numGroups = 1 is
 * LayerNorm over (C, *) with per-channel affine; numGroups = C is InstanceNorm.
 *
 * @throws when the input has fewer than 2 dims, when C is not divisible by
 *   numGroups, or when weight/bias do not hold C values.
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  if (x.ndim < 2) throw new RangeError(`groupNorm expects an input of shape [N, C, *] (at least 2 dims), got ${fmtShape(x.shape)}`);
  const [N, C, S] = channelView(x.shape, 1);
  if (!Number.isInteger(numGroups) || numGroups <= 0 || C % numGroups !== 0) {
    throw new RangeError(`expected the number of channels of the input to be divisible by numGroups, got input of shape ${fmtShape(x.shape)} (${C} channels) and numGroups=${numGroups}`);
  }
  checkPerChannel(weight, C, 'weight', x, 1);
  checkPerChannel(bias, C, 'bias', x, 1);
  return groupNormRaw(x, N, C, S, numGroups, weight, bias, eps).y;
}

/**
 * The recorded op on an already validated [N, C, S] view (also used by
 * instanceNorm with G = C); returns the output and the per-(sample, group)
 * statistics.
 */
export function groupNormRaw(
  x: Tensor, N: number, C: number, S: number, G: number, weight: Tensor | null, bias: Tensor | null, eps: number,
): { y: Tensor; mean: Float64Array; rstd: Float64Array } {
  const out = allocate(x.dtype, x.size);
  const mean = new Float64Array(N * G);
  const rstd = new Float64Array(N * G);
  groupnormForward(out, mean, rstd, x.data, weight ? weight.data : null, bias ? bias.data : null, N, C, S, G, eps);
  const y = record(new Tensor(out, x.shape), 'groupNorm', [x, weight, bias], { G, mean, rstd });
  return { y, mean, rstd };
}

/**
 * Backward of `groupNorm` (the rule in functional/backward-rules.ts): gradients of
 * [x, weight, bias] with their inputs' shapes and dtypes, through the
 * per-group mean and variance.
 */
export function groupNormBackward(dout: Tensor, inputs: readonly (Tensor | null)[], saved: OpSaved['groupNorm'], needs: readonly boolean[]): (Tensor | null)[] {
  const [x, weight, bias] = inputs;
  const [N, C, S] = channelView(x!.shape, 1);
  const dinp = needs[0] ? allocate(x!.dtype, x!.size) : null;
  const dweight = needs[1] ? allocate(weight!.dtype, C) : null;
  const dbias = needs[2] ? allocate(bias!.dtype, C) : null;
  groupnormBackward(dinp, dweight, dbias, dout.data, x!.data, weight ? weight.data : null, saved.mean, saved.rstd, N, C, S, saved.G);
  return [
    dinp ? new Tensor(dinp, x!.shape) : null,
    dweight ? new Tensor(dweight, weight!.shape) : null,
    dbias ? new Tensor(dbias, bias!.shape) : null,
  ];
}
