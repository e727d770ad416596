/**
 * Linear (fully connected) layer, as `torch.nn.Linear`: `y = x W^T + b`.
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import type { Rng } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { linear } from '../functional/linear.js';
import { defaultLayerInit } from './init.js';
import { Layer } from './layer.js';
import { fmtValue } from './module.js';
import type { DType } from '../tensor/dtype.js';
import { checkOptions, unsupported } from '../options.js';

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
  /** Storage type of the parameters (default 'float32'; PyTorch's `dtype=torch.float64` is 'float64'). */
  dtype?: DType;
}

/**
 * `y = x W^T + b` over the last dim; input `[*, inFeatures]`, output `[*, outFeatures]`.
 * Parameters `weight` [outFeatures, inFeatures] and `bias` [outFeatures] (or null).
 * Initialization as PyTorch: weight ~ kaimingUniform(a = sqrt 5), i.e.
 * U(-1/sqrt(in), 1/sqrt(in)), and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
 * Reads its weight through `param('weight')`, so weightNorm/spectralNorm apply.
 */
export class Linear extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkOptions('Linear', opts, ['bias', 'rng', 'dtype']);
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Linear: ${k} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight', zeros([outFeatures, inFeatures], { dtype }));
    this.registerParameter('bias', opts.bias ?? true ? zeros([outFeatures], { dtype }) : null);
    this.resetParameters(opts.rng);
  }

  /** The effective weight [out, in] (computed when weightNorm/spectralNorm parametrize it). */
  get weight(): Tensor | null {
    return this.param('weight');
  }

  /** The bias [out], or null. */
  get bias(): Tensor | null {
    return this.param('bias');
  }

  /** Re-draw the weights as at construction. */
  resetParameters(rng?: Rng): void {
    const w = this.getParameter('weight');
    if (!w) return;
    noGrad(() => defaultLayerInit(w, this.getParameter('bias'), rng));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.param('weight')!, this.param('bias'));
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${fmtValue(this._parameters.get('bias') !== null)}`;
  }
}
