/**
 * The optimizer base, shaped like `torch.optim.Optimizer`: parameter groups
 * (each with its own options, falling back to the constructor's defaults),
 * per-parameter state, `stateDict()` / `loadStateDict()` in PyTorch's layout,
 * and an optional learning-rate schedule. Updates write into `param.data` in
 * place (no graph is recorded), so modules and optimizers share the tensors.
 */
import { Tensor } from '../tensor/tensor.js';
import { enableGrad } from '../autograd/grad-mode.js';
import { releaseGrad } from '../autograd/backward.js';
import { checkOptions, camelCase } from '../options.js';
import type { Schedule } from './schedules.js';

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  /** Base learning rate. */
  lr?: number;
  /**
   * Multiplier of every group's `lr` as a function of the 1-based step number
   * (see `schedules`): step t uses `group.lr * schedule(t)`. For PyTorch-style
   * scheduler objects that rewrite `group.lr`, see `StepLR`, `OneCycleLR`, ...
   */
  schedule?: Schedule;
}

/**
 * One parameter group, as PyTorch's `param_groups[i]`: the parameters and
 * the options (`lr`, `weightDecay`, `betas`, ...) used for them. Options are
 * plain writable fields: schedulers and users set `group.lr` between steps.
 */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** The lr when a scheduler first saw this group (PyTorch's `initial_lr`). */
  initialLr?: number;
  [option: string]: unknown;
}

/**
 * What the constructor takes: a flat iterable of parameters (one group), or
 * PyTorch-style groups `[{ params, lr?, weightDecay?, ... }, ...]` whose
 * options override the constructor's.
 */
export type ParamsInput<O = Record<string, unknown>> = Iterable<Tensor> | Iterable<{ params: Iterable<Tensor> } & Partial<O>>;

/** Per-parameter optimizer state (PyTorch's key names: `step`, `exp_avg`, `momentum_buffer`, ...). */
export type ParamState = Record<string, number | Float64Array | Float32Array | null>;

/**
 * PyTorch's `optimizer.state_dict()` layout: `state` maps the index of each
 * parameter (in group order, then parameter order) to its state, tensors as
 * float64 Tensors; `param_groups` holds each group's options (snake_case, as
 * PyTorch writes them) with `params` as those indices.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, number | Tensor | null>>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

// PyTorch param_group keys that select an implementation (foreach, fused
// kernels, CUDA graphs) and do not change the arithmetic: skipped on load.
const IMPLEMENTATION_KEYS = new Set(['foreach', 'capturable', 'differentiable', 'fused']);

const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export abstract class Optimizer {
  /** The parameter groups (PyTorch's `param_groups`). */
  readonly paramGroups: ParamGroup[] = [];
  /** Per-parameter state, keyed by the parameter tensor (PyTorch's `state`). */
  readonly state = new Map<Tensor, ParamState>();
  /** The constructor's options, used for every group option a group leaves out. */
  readonly defaults: Record<string, unknown>;
  /** Multiplier of every group's lr per step (settable), or null for a constant rate. */
  schedule: Schedule | null;
  /** Number of `step()` calls so far (the schedule's step; Adam's bias correction counts per parameter). */
  stepCount = 0;
  /** The learning rate the last step used in the first group (`lr * schedule(step)`). */
  lastLr = 0;
  protected readonly name: string;

  constructor(params: ParamsInput, defaults: Record<string, unknown>, schedule: Schedule | null | undefined, name: string) {
    this.name = name;
    this.defaults = defaults;
    this.schedule = schedule ?? null;
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    const isTensor = (x: unknown) => x instanceof Tensor;
    if (items.every(isTensor)) this.addParamGroup({ params: items as Tensor[] });
    else if (items.some(isTensor)) throw new TypeError(`${name}: params mixes tensors and parameter groups; pass either a list of tensors or a list of { params, ...options }`);
    else for (const g of items) this.addParamGroup(g as { params: Iterable<Tensor> });
    if (this.params.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
  }

  /**
   * Add a parameter group (PyTorch's `add_param_group`): options it leaves
   * out come from the defaults; unknown options throw; a parameter may be in
   * one group only.
   */
  addParamGroup(spec: { params: Iterable<Tensor> } & Record<string, unknown>): void {
    const where = `${this.name} param group ${this.paramGroups.length}`;
    if (spec === null || typeof spec !== 'object' || !('params' in spec)) throw new TypeError(`${where}: expected { params, ...options }, got ${String(spec)}`);
    checkOptions(where, spec, ['params', ...Object.keys(this.defaults)]);
    const ps = spec.params instanceof Tensor ? [spec.params] : [...spec.params];
    const seen = new Set(this.params);
    const mine = new Set<Tensor>();
    for (const p of ps) {
      if (!(p instanceof Tensor)) throw new TypeError(`${where}: params must hold Tensors, got ${String(p)}`);
      if (mine.has(p)) throw new RangeError(`${this.name}: a parameter appears twice in the list (shape [${p.shape.join(', ')}])`);
      if (seen.has(p)) throw new RangeError(`${this.name}: some parameters appear in more than one parameter group (shape [${p.shape.join(', ')}])`);
      mine.add(p);
    }
    const group: ParamGroup = { ...this.defaults, params: ps, lr: this.defaults.lr as number };
    for (const [k, v] of Object.entries(spec)) if (k !== 'params' && v !== undefined) group[k] = v;
    this.validateGroup(group, where);
    this.paramGroups.push(group);
  }

  /** Check a group's option values (RangeError naming the bad value). */
  protected validateGroup(g: ParamGroup, where: string): void {
    if (!(g.lr >= 0) || !Number.isFinite(g.lr)) throw new RangeError(`${where}: invalid learning rate ${g.lr} (expected a finite number >= 0)`);
  }

  /** Every parameter, group by group (the order `stateDict()` indexes them in). */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The first group's learning rate; setting it sets every group's. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  set lr(v: number) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${this.name}: invalid learning rate ${v} (expected a finite number >= 0)`);
    for (const g of this.paramGroups) g.lr = v;
  }

  /** Read an option from the first group (the compatibility accessors `opt.weightDecay`, `opt.betas`, ... use this). */
  protected getOption<T>(k: string): T {
    return this.paramGroups[0]![k] as T;
  }

  /** Set an option on every group and on the defaults. */
  protected setOption(k: string, v: unknown): void {
    this.defaults[k] = v;
    for (const g of this.paramGroups) {
      g[k] = v;
      this.validateGroup(g, this.name);
    }
  }

  /**
   * Clear every parameter's gradient (set to null, as PyTorch's
   * `set_to_none=True`). Gradients that backward() made are released at once
   * (their backend memory is reused); copy one first (`p.grad.clone()`) to keep it.
   */
  zeroGrad(): void {
    for (const p of this.params) releaseGrad(p);
  }

  /**
   * Apply one update from the current gradients; parameters without a
   * gradient are skipped (their state, Adam's step count included, does not
   * advance, as in PyTorch). With a `closure`, it is called first (with
   * gradients enabled) and its result returned, as PyTorch's `step(closure)`.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    this.stepCount++;
    const mult = this.schedule ? this.schedule(this.stepCount) : 1;
    this.lastLr = this.paramGroups[0]!.lr * mult;
    for (const group of this.paramGroups) {
      const lr = group.lr * mult;
      for (const p of group.params) {
        if (!p.grad) continue;
        if (p.grad.size !== p.size) throw new RangeError(`gradient of shape [${p.grad.shape.join(', ')}] for a parameter of shape [${p.shape.join(', ')}]`);
        let st = this.state.get(p);
        if (!st) this.state.set(p, (st = {}));
        this.update(p, p.grad.data, group, lr, st);
      }
    }
    return loss;
  }

  /** The dtype of state array `key` of parameter `p` (what `loadStateDict` converts to); float64 unless an optimizer says otherwise. */
  protected stateDtype(_p: Tensor, _key: string): 'float32' | 'float64' {
    return 'float64';
  }

  /** Update parameter `p` in place from its gradient `g`, with its group's options, at learning rate `lr`. */
  protected abstract update(p: Tensor, g: ArrayLike<number>, group: ParamGroup, lr: number, state: ParamState): void;

  /**
   * PyTorch's `optimizer.state_dict()`: `{ state: { 0: { step, exp_avg, ... } },
   * param_groups: [{ lr, betas, weight_decay, ..., params: [0, 1] }] }`.
   * Parameters are numbered in group order; state tensors are copies shaped
   * like their parameter, in the state's dtype (Adam's moments: the
   * parameter's, as PyTorch; SGD's momentum buffer: float64); option names
   * are PyTorch's snake_case.
   */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const groups: OptimizerStateDict['param_groups'] = [];
    let idx = 0;
    for (const g of this.paramGroups) {
      const out: Record<string, unknown> & { params: number[] } = { params: [] };
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        if (k === 'initialLr') out.initial_lr = v;
        else out[snakeCase(k)] = Array.isArray(v) ? [...v] : v;
      }
      for (const p of g.params) {
        const st = this.state.get(p);
        if (st) {
          const o: Record<string, number | Tensor | null> = {};
          for (const [k, v] of Object.entries(st)) o[k] = v instanceof Float64Array || v instanceof Float32Array ? new Tensor(v.slice(), p.shape) : v;
          state[idx] = o;
        }
        out.params.push(idx++);
      }
      groups.push(out);
    }
    return { state, param_groups: groups };
  }

  /**
   * Load a state dict from `stateDict()` (or PyTorch's, converted to this
   * layout, e.g. via JSON + safetensors): same number of groups and of
   * parameters per group, state shapes matching. Group options are replaced
   * (snake_case or camelCase keys); PyTorch's implementation switches
   * (`foreach`, `fused`, `capturable`, `differentiable`) are skipped; any
   * other unknown key throws. `step` may be a number or a one-element Tensor.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.param_groups) || typeof sd.state !== 'object') {
      throw new TypeError(`${where}: expected { state, param_groups }`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new RangeError(`${where}: loaded state dict has ${sd.param_groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    const newGroups: ParamGroup[] = [];
    sd.param_groups.forEach((src, gi) => {
      const g = this.paramGroups[gi]!;
      if (!Array.isArray(src.params) || src.params.length !== g.params.length) {
        throw new RangeError(`${where}: loaded parameter group ${gi} has ${src.params?.length} parameters, the optimizer's has ${g.params.length}`);
      }
      src.params.forEach((id, j) => byIndex.set(Number(id), g.params[j]!));
      const ng: ParamGroup = { ...g };
      for (const [k, v] of Object.entries(src)) {
        if (k === 'params' || IMPLEMENTATION_KEYS.has(k)) continue;
        if (k === 'decoupled_weight_decay') {
          if (Boolean(v) !== (this.name === 'AdamW')) throw new TypeError(`${where}: decoupled_weight_decay=${String(v)} does not match ${this.name}`);
          continue;
        }
        const ck = k === 'initial_lr' ? 'initialLr' : camelCase(k);
        if (ck !== 'initialLr' && !(ck in this.defaults)) throw new TypeError(`${where}: unknown option '${k}' in parameter group ${gi}; accepted: ${Object.keys(this.defaults).map(snakeCase).join(', ')}`);
        ng[ck] = Array.isArray(v) ? [...v] : v;
      }
      this.validateGroup(ng, `${where} group ${gi}`);
      newGroups.push(ng);
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new RangeError(`${where}: state for parameter index ${key}, which is in no parameter group`);
      const o: ParamState = {};
      for (const [k, v] of Object.entries(st)) {
        if (v === null || typeof v === 'number') o[k] = v;
        else if (v instanceof Tensor) {
          if (k === 'step') o[k] = v.data[0]!;
          else {
            if (v.size !== p.size) throw new RangeError(`${where}: state '${k}' of parameter ${key} has shape [${v.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`);
            o[k] = this.stateDtype(p, k) === 'float32' ? Float32Array.from(v.data) : Float64Array.from(v.data);
          }
        } else throw new TypeError(`${where}: state '${k}' of parameter ${key} must be a number, a Tensor or null, got ${typeof v}`);
      }
      newState.set(p, o);
    }
    newGroups.forEach((g, i) => (this.paramGroups[i] = g));
    this.state.clear();
    for (const [p, st] of newState) this.state.set(p, st);
  }
}
