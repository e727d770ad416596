/**
 * Activation layers (no parameters) and Identity.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type GeluOptions, gelu, relu, sigmoid, tanh } from '../functional/elementwise.js';
import { Layer } from './layer.js';
import { checkOptions } from '../options.js';

/** max(x, 0). */
export class ReLU extends Layer {
  /** No options (PyTorch's `inplace` has no meaning here: every op writes fresh storage). */
  constructor(opts?: Record<string, never>) {
    super();
    checkOptions('ReLU', opts, []);
  }

  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * GELU (Hendrycks & Gimpel 2016), as `torch.nn.GELU`: exact x Phi(x) by
 * default, or `{ approximate: 'tanh' }` for 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export class GELU extends Layer {
  readonly approximate: 'none' | 'tanh';

  constructor(opts: GeluOptions = {}) {
    super();
    checkOptions('GELU', opts, ['approximate']);
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got '${String(this.approximate)}'`);
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return this.approximate === 'none' ? '' : `approximate='tanh'`;
  }
}

/** tanh(x). */
export class Tanh extends Layer {
  /** No options (PyTorch's `inplace` has no meaning here: every op writes fresh storage). */
  constructor(opts?: Record<string, never>) {
    super();
    checkOptions('Tanh', opts, []);
  }

  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** 1 / (1 + e^-x). */
export class Sigmoid extends Layer {
  /** No options (PyTorch's `inplace` has no meaning here: every op writes fresh storage). */
  constructor(opts?: Record<string, never>) {
    super();
    checkOptions('Sigmoid', opts, []);
  }

  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Returns its input (a placeholder where a layer is switched off, e.g. norm 'none'). */
export class Identity extends Layer {
  /** No options (PyTorch's `inplace` has no meaning here: every op writes fresh storage). */
  constructor(opts?: Record<string, never>) {
    super();
    checkOptions('Identity', opts, []);
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Activation names accepted by MLP and TransformerBlock. */
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'gelu';

/** The activation layer for a name. */
export function makeActivation(name: ActivationName): Layer {
  switch (name) {
    case 'relu': return new ReLU();
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'gelu': return new GELU();
    default: throw new RangeError(`unknown activation '${String(name)}' (expected 'relu', 'tanh', 'sigmoid' or 'gelu')`);
  }
}
