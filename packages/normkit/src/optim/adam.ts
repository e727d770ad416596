/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as
 * `torch.optim.Adam` / `torch.optim.AdamW`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of `Adam` and `AdamW`. */
export interface AdamOptions extends OptimizerOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Weight decay: L2 penalty in the gradient for Adam (default 0), decoupled for AdamW (default 0.01). */
  weightDecay?: number;
}

/**
 * Adam, PyTorch's formulation (t = step number, from 1):
 *   g = grad + weightDecay p                 (Adam only: coupled L2)
 *   p = p (1 - lr weightDecay)               (AdamW only: decoupled decay)
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   p = p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Moments are kept in float64.
 */
export class Adam extends Optimizer {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  protected readonly decoupled: boolean;
  private readonly m: (Float64Array | null)[];
  private readonly v: (Float64Array | null)[];

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}, name = 'Adam', decoupled = false, defaultWd = 0) {
    super(params, opts.lr ?? 1e-3, opts.schedule, name);
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new RangeError(`${name}: invalid betas [${b1}, ${b2}] (each expected in [0, 1))`);
    this.betas = [b1, b2];
    this.eps = opts.eps ?? 1e-8;
    if (!(this.eps >= 0)) throw new RangeError(`${name}: invalid eps ${this.eps} (expected >= 0)`);
    this.weightDecay = opts.weightDecay ?? defaultWd;
    if (!(this.weightDecay >= 0)) throw new RangeError(`${name}: invalid weightDecay ${this.weightDecay} (expected >= 0)`);
    this.decoupled = decoupled;
    this.m = this.params.map(() => null);
    this.v = this.params.map(() => null);
  }

  protected update(i: number, p: Tensor, g: ArrayLike<number>, lr: number): void {
    const d = p.data;
    const n = d.length;
    const m = (this.m[i] ??= new Float64Array(n));
    const v = (this.v[i] ??= new Float64Array(n));
    const [b1, b2] = this.betas;
    const t = this.stepCount;
    const stepSize = lr / (1 - Math.pow(b1, t));
    const rbc2 = 1 / Math.sqrt(1 - Math.pow(b2, t));
    const eps = this.eps;
    const wd = this.weightDecay;
    const l2 = this.decoupled ? 0 : wd;
    const shrink = this.decoupled ? 1 - lr * wd : 1;
    for (let j = 0; j < n; j++) {
      const pj = d[j]! * shrink;
      const gj = g[j]! + l2 * d[j]!;
      const mj = b1 * m[j]! + (1 - b1) * gj;
      const vj = b2 * v[j]! + (1 - b2) * gj * gj;
      m[j] = mj;
      v[j] = vj;
      d[j] = pj - (stepSize * mj) / (Math.sqrt(vj) * rbc2 + eps);
    }
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01), see `Adam`. */
export class AdamW extends Adam {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts, 'AdamW', true, 0.01);
  }
}
