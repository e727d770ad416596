/**
 * LayerNorm module (PyTorch's nn.LayerNorm).
 */
import { fmtValue } from '../module.js';
import { NormLayer } from './norm-layer.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { full } from '../../tensor/create.js';
import { layerNorm, toNormalizedShape } from '../../functional/layer-norm.js';
import { checkOptions, checkEcho } from '../../options.js';

/** LayerNorm options (defaults are PyTorch's). */
export interface LayerNormOptions {
  /** Added to the variance inside the square root (default 1e-5; Keras and TF.js use 1e-3). */
  eps?: number;
  /** Learnable per-element `weight` (ones) and `bias` (zeros) of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** Learn the `bias` too (default true; `false` keeps the gain only, like Keras's `center=false`). */
  bias?: boolean;
  /** Storage type of the parameters (default 'float32'). */
  dtype?: DType;
  /** Accepted so `getConfig()` output can be passed back; must equal the positional argument. */
  normalizedShape?: number | readonly number[];
}

/**
 * Layer normalization (Ba, Kiros & Hinton 2016, "Layer Normalization",
 * arXiv:1607.06450): each sample is normalized over its last
 * `normalizedShape.length` dims with its own mean and **biased** variance,
 *
 *   y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias
 *
 * Identical in training and evaluation, independent of the batch, which is
 * why it suits RNNs and Transformers. Input `[*, ...normalizedShape]`;
 * a mismatch throws "expected input with shape [*, 3, 5], got [2, 4, 5]".
 */
export class LayerNorm extends NormLayer {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly useBias: boolean;
  readonly dtype: DType;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    checkOptions('LayerNorm', opts, ['eps', 'elementwiseAffine', 'bias', 'dtype', 'normalizedShape']);
    this.normalizedShape = toNormalizedShape(normalizedShape, 'LayerNorm');
    checkEcho('LayerNorm', opts, 'normalizedShape', this.normalizedShape);
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new RangeError(`LayerNorm: eps must be >= 0, got ${this.eps}`);
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.useBias = opts.bias ?? true;
    this.dtype = opts.dtype ?? 'float32';
    const ns = this.normalizedShape;
    this.registerParameter('weight', this.elementwiseAffine ? full(ns, 1, { dtype: this.dtype }) : null);
    this.registerParameter('bias', this.elementwiseAffine && this.useBias ? full(ns, 0, { dtype: this.dtype }) : null);
  }

  /** Normalize `x` of shape `[*, ...normalizedShape]`. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.param('weight'), this.param('bias'), this.eps);
  }

  /** `[16], eps=1e-5, elementwiseAffine=true` (and `bias=false` when the bias is off). */
  override extraRepr(): string {
    const b = this.useBias ? '' : ', bias=false';
    return `${fmtValue(this.normalizedShape)}, eps=${fmtValue(this.eps)}, elementwiseAffine=${this.elementwiseAffine}${b}`;
  }

  /** The constructor arguments with defaults filled in: `new LayerNorm(c.normalizedShape, c)` rebuilds the layer. */
  getConfig(): { normalizedShape: number[]; eps: number; elementwiseAffine: boolean; bias: boolean; dtype: DType } {
    return { normalizedShape: [...this.normalizedShape], eps: this.eps, elementwiseAffine: this.elementwiseAffine, bias: this.useBias, dtype: this.dtype };
  }
}
