/**
 * instanceNorm: instance normalization as a differentiable op, with
 * PyTorch's semantics (torch.nn.functional.instance_norm).
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { batchNorm, channelView, checkPerChannel } from './batch-norm.js';
import { groupNormRaw } from './group-norm.js';

/**
 * Instance normalization (Ulyanov, Vedaldi & Lempitsky 2016, "Instance
 * Normalization: The Missing Ingredient for Fast Stylization",
 * arXiv:1607.08022): each channel of each sample of an [N, C, *] input is
 * normalized over its spatial dims with the biased variance:
 *
 *   y[n, c, ...] = (x - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]
 *
 * - `useInputStats = true` (default): per-instance statistics (computed as
 *   group norm with one channel per group; gradients flow through them).
 *   When `runningMean`/`runningVar` are given they are updated in place with
 *   the batch average of the instance statistics,
 *   `r = (1 - momentum) r + momentum * mean_n(stat[n, c])`, the variance
 *   stat being unbiased (S / (S - 1)), as PyTorch does.
 * - `useInputStats = false`: normalizes with the running statistics
 *   (required), exactly batch norm in evaluation mode.
 *
 * @throws with useInputStats and one spatial element ("expected more than 1
 *   spatial element when training, got input size [2, 3, 1]"), or when a
 *   per-channel tensor has the wrong size.
 */
export function instanceNorm(
  x: Tensor, runningMean: Tensor | null = null, runningVar: Tensor | null = null,
  weight: Tensor | null = null, bias: Tensor | null = null,
  useInputStats = true, momentum = 0.1, eps = 1e-5,
): Tensor {
  if (x.ndim < 2) throw new RangeError(`instanceNorm expects an input of shape [N, C, *] (at least 2 dims), got ${fmtShape(x.shape)}`);
  if (!useInputStats) return batchNorm(x, runningMean, runningVar, weight, bias, false, momentum, eps);
  const [N, C, S] = channelView(x.shape, 1);
  if (S <= 1) throw new RangeError(`expected more than 1 spatial element when training, got input size ${fmtShape(x.shape)}`);
  checkPerChannel(runningMean, C, 'running_mean', x, 1);
  checkPerChannel(runningVar, C, 'running_var', x, 1);
  checkPerChannel(weight, C, 'weight', x, 1);
  checkPerChannel(bias, C, 'bias', x, 1);
  const { y, mean, rstd } = groupNormRaw(x, N, C, S, C, weight, bias, eps);
  if (runningMean || runningVar) {
    // biased var from the cached rstd = 1/sqrt(var + eps) in float64, made unbiased
    const correction = S / (S - 1);
    for (let c = 0; c < C; c++) {
      let sm = 0;
      let sv = 0;
      for (let n = 0; n < N; n++) {
        const r = rstd[n * C + c]!;
        sm += mean[n * C + c]!;
        sv += Math.max(0, 1 / (r * r) - eps) * correction;
      }
      if (runningMean) runningMean.data[c] = (1 - momentum) * runningMean.data[c]! + (momentum * sm) / N;
      if (runningVar) runningVar.data[c] = (1 - momentum) * runningVar.data[c]! + (momentum * sv) / N;
    }
  }
  return y;
}
