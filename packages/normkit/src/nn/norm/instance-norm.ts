/**
 * InstanceNorm modules: InstanceNorm1d/2d/3d (PyTorch's nn.InstanceNorm*).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape } from '../../tensor/shape.js';
import { reshape } from '../../functional/shape-ops.js';
import { instanceNorm } from '../../functional/instance-norm.js';
import { NormBase, type BatchNormModuleOptions } from './batch-norm.js';

/** InstanceNorm options: as BatchNorm's, with defaults affine=false, trackRunningStats=false. */
export type InstanceNormOptions = BatchNormModuleOptions;

/**
 * Instance normalization (Ulyanov, Vedaldi & Lempitsky 2016,
 * arXiv:1607.08022): each channel of each sample is normalized over its
 * spatial dims (biased variance):
 *
 *   y[n, c] = (x[n, c] - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]
 *
 * Defaults are PyTorch's: `affine=false`, `trackRunningStats=false` (instance
 * statistics in training and evaluation). With `trackRunningStats`, training
 * also moves running statistics (batch average of the instance statistics,
 * unbiased variance) and evaluation normalizes with them. Unbatched inputs
 * ([C, L] for 1d) are accepted, as in PyTorch.
 *
 * As PyTorch (nn.InstanceNorm*.forward calls F.instance_norm with
 * `momentum if momentum is not None else 0.0` and never counts batches):
 * `numBatchesTracked` stays 0, and `momentum: null` leaves the running
 * statistics where they are (unlike BatchNorm's cumulative average).
 */
export abstract class InstanceNormBase extends NormBase {
  /** Dims of an input without its batch dim (2 for 1d, 3 for 2d, 4 for 3d). */
  protected abstract readonly noBatchDim: number;

  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(numFeatures, opts, { affine: false, trackRunningStats: false });
  }

  /** Normalize `x` of shape [N, C, *spatial] (or [C, *spatial]). */
  forward(x: Tensor): Tensor {
    const nb = this.noBatchDim;
    if (x.ndim !== nb && x.ndim !== nb + 1) {
      throw new RangeError(`expected ${nb}D or ${nb + 1}D input (got ${x.ndim}D input)`);
    }
    const unbatched = x.ndim === nb;
    const xb = unbatched ? reshape(x, [1, ...x.shape]) : x;
    if (xb.shape[1] !== this.numFeatures && (this.affine || this.trackRunningStats)) {
      throw new RangeError(`${this.typeName}: expected input with ${this.numFeatures} channels at dim ${unbatched ? 0 : 1} (numFeatures=${this.numFeatures}), got ${xb.shape[1]} in input of shape ${fmtShape(x.shape)}`);
    }
    const useInputStats = this.training || !this.trackRunningStats;
    if (useInputStats && xb.shape.slice(2).reduce((a, b) => a * b, 1) <= 1) {
      throw new RangeError(`expected more than 1 spatial element when training, got input size ${fmtShape(x.shape)}`);
    }
    // PyTorch: momentum None -> 0.0, and no num_batches_tracked increment
    const factor = this.momentum ?? 0;
    const y = instanceNorm(xb, this.runningMean, this.runningVar, this.weight, this.bias, useInputStats, factor, this.eps);
    return unbatched ? reshape(y, x.shape) : y;
  }
}

/** InstanceNorm over [N, C, L] (or [C, L]) inputs. See `InstanceNormBase`. */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly noBatchDim = 2;
}

/** InstanceNorm over [N, C, H, W] (or [C, H, W]) inputs. See `InstanceNormBase`. */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly noBatchDim = 3;
}

/** InstanceNorm over [N, C, D, H, W] (or [C, D, H, W]) inputs. See `InstanceNormBase`. */
export class InstanceNorm3d extends InstanceNormBase {
  protected readonly noBatchDim = 4;
}
