/**
 * Activation layers (no parameters) and Identity.
 */
import type { Tensor } from '../tensor/tensor.js';
import { gelu, relu, sigmoid, tanh } from '../functional/elementwise.js';
import { Layer } from './layer.js';

/** max(x, 0). */
export class ReLU extends Layer {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** GELU, exact x Phi(x) (Hendrycks & Gimpel 2016; PyTorch's default). */
export class GELU extends Layer {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/** tanh(x). */
export class Tanh extends Layer {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** 1 / (1 + e^-x). */
export class Sigmoid extends Layer {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Returns its input (a placeholder where a layer is switched off, e.g. norm 'none'). */
export class Identity extends Layer {
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
