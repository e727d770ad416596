/**
 * GroupNorm module (PyTorch's nn.GroupNorm).
 */
import { fmtValue } from '../module.js';
import { NormLayer } from './norm-layer.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { full } from '../../tensor/create.js';
import { fmtShape } from '../../tensor/shape.js';
import { groupNorm } from '../../functional/group-norm.js';
import { checkOptions, checkEcho } from '../../options.js';

/** GroupNorm options (defaults are PyTorch's). */
export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5; Keras uses 1e-3). */
  eps?: number;
  /** Learnable per-channel `weight` (ones) and `bias` (zeros) (default true). */
  affine?: boolean;
  /** Storage type of the parameters (default 'float32'). */
  dtype?: DType;
  /** Learn the `bias` when `affine` (default true; `false` keeps the gain only, as PyTorch 2.x's `bias=False`). */
  bias?: boolean;
  /** Accepted so `getConfig()` output can be passed back; must equal the positional arguments. */
  numGroups?: number;
  numChannels?: number;
}

/**
 * Group normalization (Wu & He 2018, "Group Normalization", arXiv:1803.08494):
 * the channels of an [N, C, *] input are split into `numGroups` groups; each
 * (sample, group) is normalized over its channels and spatial dims (biased
 * variance), then scaled and shifted per channel:
 *
 *   y = (x - mean[n, g]) / sqrt(var[n, g] + eps) * weight[c] + bias[c]
 *
 * Independent of the batch (works with batch size 1), same in training and
 * evaluation. numGroups = 1 gives LayerNorm over (C, *) with per-channel
 * affine; numGroups = numChannels gives InstanceNorm (with affine).
 */
export class GroupNorm extends NormLayer {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  readonly dtype: DType;
  /** Whether the `bias` parameter exists (with `affine`). */
  readonly useBias: boolean;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkOptions('GroupNorm', opts, ['eps', 'affine', 'dtype', 'bias', 'numGroups', 'numChannels']);
    checkEcho('GroupNorm', opts, 'numGroups', numGroups);
    checkEcho('GroupNorm', opts, 'numChannels', numChannels);
    if (!Number.isInteger(numGroups) || numGroups <= 0) throw new RangeError(`GroupNorm: numGroups must be a positive integer, got ${numGroups}`);
    if (!Number.isInteger(numChannels) || numChannels <= 0) throw new RangeError(`GroupNorm: numChannels must be a positive integer, got ${numChannels}`);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: numChannels must be divisible by numGroups, got numChannels=${numChannels} and numGroups=${numGroups}`);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new RangeError(`GroupNorm: eps must be >= 0, got ${this.eps}`);
    this.affine = opts.affine ?? true;
    this.dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight', this.affine ? full([numChannels], 1, { dtype: this.dtype }) : null);
    this.useBias = opts.bias ?? true;
    this.registerParameter('bias', this.affine && this.useBias ? full([numChannels], 0, { dtype: this.dtype }) : null);
  }

  /** Normalize `x` of shape [N, numChannels, *]. */
  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new RangeError(`GroupNorm: expected input of shape [N, ${this.numChannels}, *], got ${fmtShape(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  /** `2, 6, eps=1e-5, affine=true`. */
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${fmtValue(this.eps)}, affine=${this.affine}${this.useBias ? '' : ', bias=false'}`;
  }

  /** The constructor options with defaults filled in. */
  getConfig(): { numGroups: number; numChannels: number; eps: number; affine: boolean; dtype: DType; bias?: boolean } {
    return { numGroups: this.numGroups, numChannels: this.numChannels, eps: this.eps, affine: this.affine, dtype: this.dtype, ...(this.useBias ? {} : { bias: false }) };
  }
}
