/**
 * RMSNorm module (PyTorch's nn.RMSNorm).
 */
import { fmtValue } from '../module.js';
import { NormLayer } from './norm-layer.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { full } from '../../tensor/create.js';
import { toNormalizedShape } from '../../functional/layer-norm.js';
import { rmsNorm } from '../../functional/rms-norm.js';
import { checkOptions, checkEcho } from '../../options.js';

/** RMSNorm options (defaults are PyTorch's). */
export interface RMSNormOptions {
  /** Added to mean(x^2) inside the square root; null (default) means the input dtype's machine epsilon (2^-23 for float32). */
  eps?: number | null;
  /** Learnable per-element `weight` (ones) of shape `normalizedShape` (default true). There is no bias. */
  elementwiseAffine?: boolean;
  /** Storage type of the parameters (default 'float32'). */
  dtype?: DType;
  /** Accepted so `getConfig()` output can be passed back; must equal the positional argument. */
  normalizedShape?: number | readonly number[];
}

/**
 * Root mean square layer normalization (Zhang & Sennrich 2019,
 * arXiv:1910.07467), as in LLaMA: no re-centering, only re-scaling,
 *
 *   y = x / sqrt(mean(x^2) + eps) * weight
 *
 * over the last `normalizedShape.length` dims. Cheaper than LayerNorm (one
 * statistic instead of two).
 */
export class RMSNorm extends NormLayer {
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  readonly dtype: DType;

  constructor(normalizedShape: number | readonly number[], opts: RMSNormOptions = {}) {
    super();
    checkOptions('RMSNorm', opts, ['eps', 'elementwiseAffine', 'dtype', 'normalizedShape']);
    this.normalizedShape = toNormalizedShape(normalizedShape, 'RMSNorm');
    checkEcho('RMSNorm', opts, 'normalizedShape', this.normalizedShape);
    this.eps = opts.eps ?? null;
    if (this.eps !== null && !(this.eps >= 0)) throw new RangeError(`RMSNorm: eps must be null or >= 0, got ${this.eps}`);
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight', this.elementwiseAffine ? full(this.normalizedShape, 1, { dtype: this.dtype }) : null);
  }

  /** Normalize `x` of shape `[*, ...normalizedShape]`. */
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, this.param('weight'), this.eps);
  }

  /** `[16], eps=null, elementwiseAffine=true`. */
  override extraRepr(): string {
    return `${fmtValue(this.normalizedShape)}, eps=${fmtValue(this.eps)}, elementwiseAffine=${this.elementwiseAffine}`;
  }

  /** The constructor arguments with defaults filled in. */
  getConfig(): { normalizedShape: number[]; eps: number | null; elementwiseAffine: boolean; dtype: DType } {
    return { normalizedShape: [...this.normalizedShape], eps: this.eps, elementwiseAffine: this.elementwiseAffine, dtype: this.dtype };
  }
}
