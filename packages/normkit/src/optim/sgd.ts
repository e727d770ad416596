/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of `SGD`. */
export interface SGDOptions extends OptimizerOptions {
  /** Learning rate (required). */
  lr: number;
  /** Momentum factor mu (default 0). */
  momentum?: number;
  /** Dampening of the momentum's gradient term (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (Sutskever et al. 2013; default false). */
  nesterov?: boolean;
}

/**
 * PyTorch's SGD:
 *   g = grad + weightDecay p
 *   b = g at the first step, else b = mu b + (1 - dampening) g
 *   g = g + mu b (nesterov) or g = b
 *   p = p - lr g
 * (momentum as in PyTorch: the learning rate multiplies the buffer, unlike
 * Sutskever et al.'s formulation.)
 */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  private readonly buf: (Float64Array | null)[];

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    super(params, opts.lr, opts.schedule, 'SGD');
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (!(this.momentum >= 0)) throw new RangeError(`SGD: invalid momentum ${this.momentum} (expected >= 0)`);
    if (!(this.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay ${this.weightDecay} (expected >= 0)`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov momentum requires a momentum > 0 and zero dampening, got momentum=${this.momentum}, dampening=${this.dampening}`);
    }
    this.buf = this.params.map(() => null);
  }

  protected update(i: number, p: Tensor, g: ArrayLike<number>, lr: number): void {
    const d = p.data;
    const n = d.length;
    const wd = this.weightDecay;
    const mu = this.momentum;
    if (mu === 0) {
      for (let j = 0; j < n; j++) d[j] -= lr * (g[j]! + wd * d[j]!);
      return;
    }
    let b = this.buf[i]!;
    const first = b === null;
    if (first) b = this.buf[i] = new Float64Array(n);
    const damp = 1 - this.dampening;
    const nes = this.nesterov;
    for (let j = 0; j < n; j++) {
      const gj = g[j]! + wd * d[j]!;
      const bj = first ? gj : mu * b[j]! + damp * gj;
      b[j] = bj;
      d[j] -= lr * (nes ? gj + mu * bj : bj);
    }
  }
}
