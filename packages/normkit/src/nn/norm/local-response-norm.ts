/**
 * LocalResponseNorm module (PyTorch's nn.LocalResponseNorm).
 */
import { fmtValue } from '../module.js';
import { NormLayer } from './norm-layer.js';
import type { Tensor } from '../../tensor/tensor.js';
import { localResponseNorm } from '../../functional/local-response-norm.js';
import { checkOptions, checkEcho } from '../../options.js';

/** LocalResponseNorm options (defaults are PyTorch's). */
export interface LocalResponseNormOptions {
  /** Multiplicative factor (default 1e-4). */
  alpha?: number;
  /** Exponent (default 0.75). */
  beta?: number;
  /** Additive factor (default 1). */
  k?: number;
  /** Accepted so `getConfig()` output can be passed back; must equal the positional argument. */
  size?: number;
}

/**
 * Local response normalization across channels (Krizhevsky, Sutskever &
 * Hinton 2012, AlexNet), PyTorch's formula:
 *
 *   b_c = a_c (k + alpha/size * sum_{c'=c-floor(size/2)}^{c+floor((size-1)/2)} a_{c'}^2)^-beta
 *
 * with zero padding at the channel edges. Input `[N, C, *]` (rank >= 3);
 * no parameters.
 */
export class LocalResponseNorm extends NormLayer {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(size: number, opts: LocalResponseNormOptions = {}) {
    super();
    checkOptions('LocalResponseNorm', opts, ['alpha', 'beta', 'k', 'size']);
    checkEcho('LocalResponseNorm', opts, 'size', size);
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`LocalResponseNorm: size must be a positive integer, got ${size}`);
    this.size = size;
    this.alpha = opts.alpha ?? 1e-4;
    this.beta = opts.beta ?? 0.75;
    this.k = opts.k ?? 1;
  }

  /** Normalize `x` of shape [N, C, *]. */
  forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, this.alpha, this.beta, this.k);
  }

  /** `2, alpha=1e-4, beta=0.75, k=1`. */
  override extraRepr(): string {
    return `${this.size}, alpha=${fmtValue(this.alpha)}, beta=${fmtValue(this.beta)}, k=${fmtValue(this.k)}`;
  }

  /** The constructor arguments with defaults filled in. */
  getConfig(): { size: number; alpha: number; beta: number; k: number } {
    return { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }
}
