/**
 * DyT module: Dynamic Tanh, the normalization-free replacement of LayerNorm.
 */
import { fmtValue } from '../module.js';
import { NormLayer } from './norm-layer.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { full } from '../../tensor/create.js';
import { toNormalizedShape } from '../../functional/layer-norm.js';
import { dyt } from '../../functional/dyt.js';
import { checkOptions, checkEcho } from '../../options.js';

/** DyT options. */
export interface DyTOptions {
  /** Initial value of the learnable scalar alpha (default 0.5, the paper's default for non-LLM models). */
  alphaInit?: number;
  /** Storage type of the parameters (default 'float32'). */
  dtype?: DType;
  /** Accepted so `getConfig()` output can be passed back; must equal the positional argument. */
  normalizedShape?: number | readonly number[];
}

/**
 * Dynamic Tanh (Zhu, Chen, He, LeCun & Liu 2025, "Transformers without
 * Normalization", arXiv:2503.10622):
 *
 *   y = weight * tanh(alpha * x) + bias
 *
 * with a learnable scalar `alpha` (parameter shape [1]) and per-element
 * `weight` (ones) and `bias` (zeros) of shape `normalizedShape`. It computes
 * no statistics: it mimics the S-shaped input-output map of LayerNorm.
 */
export class DyT extends NormLayer {
  readonly normalizedShape: number[];
  readonly alphaInit: number;
  readonly dtype: DType;

  constructor(normalizedShape: number | readonly number[], opts: DyTOptions = {}) {
    super();
    checkOptions('DyT', opts, ['alphaInit', 'dtype', 'normalizedShape']);
    this.normalizedShape = toNormalizedShape(normalizedShape, 'DyT');
    checkEcho('DyT', opts, 'normalizedShape', this.normalizedShape);
    this.alphaInit = opts.alphaInit ?? 0.5;
    if (!Number.isFinite(this.alphaInit)) throw new RangeError(`DyT: alphaInit must be a finite number, got ${this.alphaInit}`);
    this.dtype = opts.dtype ?? 'float32';
    this.registerParameter('alpha', full([1], this.alphaInit, { dtype: this.dtype }));
    this.registerParameter('weight', full(this.normalizedShape, 1, { dtype: this.dtype }));
    this.registerParameter('bias', full(this.normalizedShape, 0, { dtype: this.dtype }));
  }

  /** The learnable scalar, shape [1]. */
  get alpha(): Tensor {
    return this.param('alpha')!;
  }

  /** alpha to `alphaInit`, weight to ones, bias to zeros. */
  override resetParameters(): void {
    super.resetParameters();
    this.getParameter('alpha')?.data.fill(this.alphaInit);
  }

  /** Apply to `x` of shape `[*, ...normalizedShape]`. */
  forward(x: Tensor): Tensor {
    return dyt(x, this.param('alpha')!, this.param('weight'), this.param('bias'));
  }

  /** `[16], alphaInit=0.5`. */
  override extraRepr(): string {
    return `${fmtValue(this.normalizedShape)}, alphaInit=${fmtValue(this.alphaInit)}`;
  }

  /** The constructor arguments with defaults filled in. */
  getConfig(): { normalizedShape: number[]; alphaInit: number; dtype: DType } {
    return { normalizedShape: [...this.normalizedShape], alphaInit: this.alphaInit, dtype: this.dtype };
  }
}
