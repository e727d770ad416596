/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as
 * `torch.optim.Adam` / `torch.optim.AdamW`, with AMSGrad (Reddi et al. 2018).
 */
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../options.js';
import { allocate, allocateState } from '../tensor/storage.js';
import { adamStepF32 } from '../kernels/js/adam.js';
import { Optimizer, type OptimizerOptions, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Options of `Adam` and `AdamW` (each, except `schedule`, may also be set per parameter group). */
export interface AdamOptions extends OptimizerOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Weight decay: L2 penalty in the gradient for Adam (default 0), decoupled for AdamW (default 0.01). */
  weightDecay?: number;
  /** AMSGrad (Reddi et al. 2018): divide by the running maximum of the second moment (default false). */
  amsgrad?: boolean;
  /** Maximize the objective: step along +grad (default false). */
  maximize?: boolean;
}

const ADAM_KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'] as const;

/**
 * Adam, PyTorch's formulation. Each parameter keeps its own step count t,
 * advanced only at steps where it has a gradient (PyTorch's `state['step']`):
 *   g = -grad if maximize else grad
 *   g = g + weightDecay p                    (Adam only: coupled L2)
 *   p = p (1 - lr weightDecay)               (AdamW only: decoupled decay)
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   vmax = max(vmax, v) and use vmax for v    (amsgrad)
 *   p = p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * State (PyTorch's names, in the parameter's dtype as PyTorch keeps them):
 * `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (amsgrad). For float32
 * parameters without amsgrad every operation of the update is a float32 one
 * (src/kernels/js/adam.ts; SIMD on the wasm backend); otherwise the update
 * is computed in float64 and stored in the state's dtype.
 */
export class Adam extends Optimizer {
  protected readonly decoupled: boolean;

  constructor(params: ParamsInput<AdamOptions>, opts: AdamOptions = {}, name = 'Adam', decoupled = false, defaultWd = 0) {
    checkOptions(name, opts, [...ADAM_KEYS, 'schedule']);
    const defaults = {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ? [...opts.betas] : [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? defaultWd,
      amsgrad: opts.amsgrad ?? false,
      maximize: opts.maximize ?? false,
    };
    super(params, defaults, opts.schedule, name);
    this.decoupled = decoupled;
  }

  protected override validateGroup(g: ParamGroup, where: string): void {
    super.validateGroup(g, where);
    const w = where;
    const betas = g.betas as number[];
    if (!Array.isArray(betas) || betas.length !== 2) throw new RangeError(`${w}: betas must be a pair [b1, b2], got ${String(betas)}`);
    const [b1, b2] = betas as [number, number];
    if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new RangeError(`${w}: invalid betas [${b1}, ${b2}] (each expected in [0, 1))`);
    if (!((g.eps as number) >= 0)) throw new RangeError(`${w}: invalid eps ${String(g.eps)} (expected >= 0)`);
    if (!((g.weightDecay as number) >= 0)) throw new RangeError(`${w}: invalid weightDecay ${String(g.weightDecay)} (expected >= 0)`);
  }

  get betas(): [number, number] { return this.getOption('betas'); }
  set betas(v: [number, number]) { this.setOption('betas', [...v]); }
  get eps(): number { return this.getOption('eps'); }
  set eps(v: number) { this.setOption('eps', v); }
  get weightDecay(): number { return this.getOption('weightDecay'); }
  set weightDecay(v: number) { this.setOption('weightDecay', v); }
  get amsgrad(): boolean { return this.getOption('amsgrad'); }
  set amsgrad(v: boolean) { this.setOption('amsgrad', v); }

  /** Adam's moments have the parameter's dtype (PyTorch's rule). */
  protected override stateDtype(p: Tensor, key: string): 'float32' | 'float64' {
    return key === 'exp_avg' || key === 'exp_avg_sq' || key === 'max_exp_avg_sq' ? p.dtype : 'float64';
  }

  protected update(p: Tensor, g: ArrayLike<number>, group: ParamGroup, lr: number, st: ParamState): void {
    const d = p.data;
    const n = d.length;
    // The moments have the parameter's dtype, as in PyTorch; float32 ones live in
    // backend memory where it offers it, so the SIMD step reads them in place.
    const f32 = d instanceof Float32Array;
    const m = (st.exp_avg ??= f32 ? allocate('float32', n) as Float32Array : allocateState(n)) as Float32Array | Float64Array;
    const v = (st.exp_avg_sq ??= f32 ? allocate('float32', n) as Float32Array : allocateState(n)) as Float32Array | Float64Array;
    const ams = group.amsgrad as boolean;
    const vmax = ams ? ((st.max_exp_avg_sq ??= f32 ? new Float32Array(n) : new Float64Array(n)) as Float32Array | Float64Array) : null;
    const t = (st.step = ((st.step as number | undefined) ?? 0) + 1);
    const [b1, b2] = group.betas as [number, number];
    const stepSize = lr / (1 - Math.pow(b1, t));
    const rbc2 = 1 / Math.sqrt(1 - Math.pow(b2, t));
    const eps = group.eps as number;
    const wd = group.weightDecay as number;
    const l2 = this.decoupled ? 0 : wd;
    const shrink = this.decoupled ? 1 - lr * wd : 1;
    const sign = group.maximize ? -1 : 1;
    if (d instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array && vmax === null) {
      // the common case as one kernel (kernels/js/adam.ts; wasm SIMD on that backend), in float32 arithmetic;
      // the loop below (amsgrad, float64 parameters) computes in float64
      adamStepF32(d, g, m, v, n, b1, b2, stepSize, rbc2, eps, l2, shrink, sign);
      return;
    }
    for (let j = 0; j < n; j++) {
      const pj = d[j]! * shrink;
      const gj = sign * g[j]! + l2 * d[j]!;
      const mj = b1 * m[j]! + (1 - b1) * gj;
      const vj = b2 * v[j]! + (1 - b2) * gj * gj;
      m[j] = mj;
      v[j] = vj;
      let vd = vj;
      if (vmax) vd = vmax[j] = Math.max(vmax[j]!, vj);
      d[j] = pj - (stepSize * mj) / (Math.sqrt(vd) * rbc2 + eps);
    }
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01), see `Adam`. */
export class AdamW extends Adam {
  constructor(params: ParamsInput<AdamOptions>, opts: AdamOptions = {}) {
    super(params, opts, 'AdamW', true, 0.01);
  }
}
