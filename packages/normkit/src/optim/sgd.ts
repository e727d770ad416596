/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../options.js';
import { Optimizer, type OptimizerOptions, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';
import { allocateState } from '../tensor/storage.js';
import { sgdMomentumStepF32, sgdStepF32 } from '../kernels/js/sgd.js';

/** Options of `SGD` (each, except `schedule`, may also be set per parameter group). */
export interface SGDOptions extends OptimizerOptions {
  /** Learning rate (default 1e-3, as PyTorch 2.x). */
  lr?: number;
  /** Momentum factor mu (default 0). */
  momentum?: number;
  /** Dampening of the momentum's gradient term (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (Sutskever et al. 2013; default false). */
  nesterov?: boolean;
  /** Maximize the objective: step along +grad (default false). */
  maximize?: boolean;
}

const SGD_KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'] as const;

/**
 * PyTorch's SGD (`torch.optim.SGD`, per parameter):
 *   g = -grad if maximize else grad;  g = g + weightDecay p
 *   b = g at the parameter's first step, else b = mu b + (1 - dampening) g
 *   g = g + mu b (nesterov) or g = b
 *   p = p - lr g
 * (momentum as in PyTorch: the learning rate multiplies the buffer, unlike
 * Sutskever et al.'s formulation.) State: `momentum_buffer` per parameter.
 */
export class SGD extends Optimizer {
  constructor(params: ParamsInput<SGDOptions>, opts: SGDOptions = {}) {
    checkOptions('SGD', opts, [...SGD_KEYS, 'schedule']);
    const defaults = {
      lr: opts.lr ?? 1e-3,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      maximize: opts.maximize ?? false,
    };
    super(params, defaults, opts.schedule, 'SGD');
  }

  protected override validateGroup(g: ParamGroup, where: string): void {
    super.validateGroup(g, where);
    const w = where;
    const mu = g.momentum as number;
    if (!(mu >= 0)) throw new RangeError(`${w}: invalid momentum ${mu} (expected >= 0)`);
    if (!(Number(g.weightDecay) >= 0)) throw new RangeError(`${w}: invalid weightDecay ${String(g.weightDecay)} (expected >= 0)`);
    if (typeof g.dampening !== 'number') throw new RangeError(`${w}: invalid dampening ${String(g.dampening)}`);
    if (g.nesterov && (mu <= 0 || g.dampening !== 0)) {
      throw new RangeError(`${w}: nesterov momentum requires a momentum > 0 and zero dampening, got momentum=${mu}, dampening=${String(g.dampening)}`);
    }
  }

  get momentum(): number { return this.getOption('momentum'); }
  set momentum(v: number) { this.setOption('momentum', v); }
  get dampening(): number { return this.getOption('dampening'); }
  set dampening(v: number) { this.setOption('dampening', v); }
  get weightDecay(): number { return this.getOption('weightDecay'); }
  set weightDecay(v: number) { this.setOption('weightDecay', v); }
  get nesterov(): boolean { return this.getOption('nesterov'); }
  set nesterov(v: boolean) { this.setOption('nesterov', v); }

  protected update(p: Tensor, g: ArrayLike<number>, group: ParamGroup, lr: number, st: ParamState): void {
    const d = p.data;
    const n = d.length;
    const wd = group.weightDecay as number;
    const mu = group.momentum as number;
    const sign = group.maximize ? -1 : 1;
    if (mu === 0) {
      if (d instanceof Float32Array && g instanceof Float32Array) sgdStepF32(d, g, n, lr, sign, wd);
      else for (let j = 0; j < n; j++) d[j] -= lr * (sign * g[j]! + wd * d[j]!);
      return;
    }
    let b = st.momentum_buffer as Float64Array | null | undefined;
    const first = !b;
    // in backend memory where it offers it, so the SIMD kernel reads it in place
    if (!b) b = st.momentum_buffer = allocateState(n);
    const damp = 1 - (group.dampening as number);
    const nes = group.nesterov as boolean;
    if (d instanceof Float32Array && g instanceof Float32Array) {
      sgdMomentumStepF32(d, g, b, n, lr, sign, wd, mu, damp, nes, first);
      return;
    }
    for (let j = 0; j < n; j++) {
      const gj = sign * g[j]! + wd * d[j]!;
      const bj = first ? gj : mu * b[j]! + damp * gj;
      b[j] = bj;
      d[j] -= lr * (nes ? gj + mu * bj : bj);
    }
  }
}
