/**
 * Learning-rate schedulers as objects, as `torch.optim.lr_scheduler`: each
 * rewrites `group.lr` of its optimizer's parameter groups on `step()` (call
 * it after `optimizer.step()`, as in PyTorch). Construction sets each group's
 * `initialLr` (PyTorch's `initial_lr`) and applies the rate of step 0.
 * The closed forms are used (PyTorch's `_get_closed_form_lr`), which agree
 * with PyTorch's recursive updates up to rounding.
 */
import { checkOptions } from '../options.js';
import type { Optimizer } from './optimizer.js';

/** The base: `step()`, `getLastLr()`, `lastEpoch`, `baseLrs`, `stateDict()`. */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** Steps taken (0 right after construction, as PyTorch's `last_epoch`). */
  lastEpoch = -1;
  /** Each group's `initialLr`. */
  readonly baseLrs: number[];
  private lastLrs: number[] = [];

  constructor(optimizer: Optimizer, where: string) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new TypeError(`${where}: expected an optimizer, got ${String(optimizer)}`);
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** The rate of group `i` at step `t` (closed form). */
  protected abstract lrAt(t: number, base: number, i: number): number;

  /** Apply step 0 (called at the end of each subclass constructor). */
  protected init(): void {
    this.step();
  }

  /** Advance one step and write the new rates into the optimizer's groups. */
  step(): void {
    this.lastEpoch++;
    this.lastLrs = this.optimizer.paramGroups.map((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!, i)));
    this.afterStep();
  }

  protected afterStep(): void {}

  /** The rates the last `step()` set, one per group (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** `{ last_epoch, base_lrs, _last_lr }`, as PyTorch's scheduler state_dict. */
  stateDict(): { last_epoch: number; base_lrs: number[]; _last_lr: number[] } {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _last_lr: [...this.lastLrs] };
  }

  /** Restore `stateDict()` output; the optimizer's rates are restored by its own loadStateDict. */
  loadStateDict(sd: { last_epoch: number; base_lrs?: number[]; _last_lr?: number[] }): void {
    this.lastEpoch = sd.last_epoch;
    if (sd.base_lrs) sd.base_lrs.forEach((v, i) => (this.baseLrs[i] = v));
    this.lastLrs = [...(sd._last_lr ?? this.optimizer.paramGroups.map((g) => g.lr))];
  }
}

function posInt(where: string, k: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new RangeError(`${where}: ${k} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/** `StepLR(optimizer, stepSize, { gamma = 0.1 })`: lr = base gamma^floor(t / stepSize). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, stepSize: number, opts: { gamma?: number } = {}) {
    super(optimizer, 'StepLR');
    checkOptions('StepLR', opts, ['gamma']);
    this.stepSize = posInt('StepLR', 'stepSize', stepSize);
    this.gamma = opts.gamma ?? 0.1;
    this.init();
  }
  protected lrAt(t: number, base: number): number {
    return base * Math.pow(this.gamma, Math.floor(t / this.stepSize));
  }
}

/**
 * `CosineAnnealingLR(optimizer, tMax, { etaMin = 0 })` (Loshchilov & Hutter 2017, SGDR without restarts):
 * lr = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, tMax: number, opts: { etaMin?: number } = {}) {
    super(optimizer, 'CosineAnnealingLR');
    checkOptions('CosineAnnealingLR', opts, ['etaMin']);
    this.tMax = posInt('CosineAnnealingLR', 'tMax', tMax);
    this.etaMin = opts.etaMin ?? 0;
    this.init();
  }
  protected lrAt(t: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/**
 * `LinearLR(optimizer, { startFactor = 1/3, endFactor = 1, totalIters = 5 })`, the usual warm-up:
 * lr = base (startFactor + (endFactor - startFactor) min(t, totalIters) / totalIters).
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: Optimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer, 'LinearLR');
    checkOptions('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters']);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    this.init();
  }
  protected lrAt(t: number, base: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(t, this.totalIters)) / this.totalIters);
  }
}

/** Options of `OneCycleLR` (PyTorch's keywords, camelCase). */
export interface OneCycleLROptions {
  /** Total steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD `momentum`, Adam `betas[0]`) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initial, down to min) instead of two (default false). */
  threePhase?: boolean;
}

/**
 * `OneCycleLR(optimizer, maxLr, opts)` (Smith & Topin 2019), PyTorch's phases:
 * from maxLr/divFactor up to maxLr over pctStart T - 1 steps, then down to
 * maxLr/(divFactor finalDivFactor) at step T - 1, annealing by
 * cos: end + (start - end)(1 + cos(pi pct)) / 2, or linearly; momentum
 * cycles the other way between maxMomentum and baseMomentum.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  private readonly phases: { end: number; lr: [string, string]; m: [string, string] }[];
  private readonly anneal: (a: number, b: number, pct: number) => number;
  private readonly cycleMomentum: boolean;
  private readonly vals: Record<string, number>[];

  constructor(optimizer: Optimizer, maxLr: number | readonly number[], opts: OneCycleLROptions = {}) {
    super(optimizer, 'OneCycleLR');
    checkOptions('OneCycleLR', opts, ['totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase']);
    if (opts.totalSteps !== undefined) this.totalSteps = posInt('OneCycleLR', 'totalSteps', opts.totalSteps);
    else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) this.totalSteps = posInt('OneCycleLR', 'epochs', opts.epochs) * posInt('OneCycleLR', 'stepsPerEpoch', opts.stepsPerEpoch);
    else throw new RangeError('OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)');
    const T = this.totalSteps;
    const pct = opts.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`OneCycleLR: pctStart must be in [0, 1], got ${pct}`);
    const strat = opts.annealStrategy ?? 'cos';
    if (strat !== 'cos' && strat !== 'linear') throw new RangeError(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got '${String(strat)}'`);
    this.anneal = strat === 'cos' ? (a, b, p) => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1) : (a, b, p) => (b - a) * p + a;
    this.phases = opts.threePhase
      ? [
        { end: pct * T - 1, lr: ['initial', 'max'], m: ['maxM', 'baseM'] },
        { end: 2 * pct * T - 2, lr: ['max', 'initial'], m: ['baseM', 'maxM'] },
        { end: T - 1, lr: ['initial', 'min'], m: ['maxM', 'maxM'] },
      ]
      : [
        { end: pct * T - 1, lr: ['initial', 'max'], m: ['maxM', 'baseM'] },
        { end: T - 1, lr: ['max', 'min'], m: ['baseM', 'maxM'] },
      ];
    const groups = optimizer.paramGroups;
    const maxLrs = typeof maxLr === 'number' ? groups.map(() => maxLr) : [...maxLr];
    if (maxLrs.length !== groups.length) throw new RangeError(`OneCycleLR: expected ${groups.length} maxLr values, got ${maxLrs.length}`);
    const div = opts.divFactor ?? 25;
    const finalDiv = opts.finalDivFactor ?? 1e4;
    this.cycleMomentum = opts.cycleMomentum ?? true;
    const baseM = opts.baseMomentum ?? 0.85;
    const maxM = opts.maxMomentum ?? 0.95;
    if (this.cycleMomentum && !('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
      throw new RangeError('OneCycleLR: optimizer must support momentum or betas with cycleMomentum enabled');
    }
    this.vals = maxLrs.map((m, i) => {
      const initial = m / div;
      groups[i]!.initialLr = initial;
      this.baseLrs[i] = initial;
      return { initial, max: m, min: initial / finalDiv, maxM, baseM };
    });
    this.init();
  }

  protected lrAt(t: number, _base: number, i: number): number {
    return this.at(t, i, 'lr');
  }

  private at(t: number, i: number, which: 'lr' | 'm'): number {
    if (t > this.totalSteps) throw new RangeError(`OneCycleLR: tried to step ${t} times, more than totalSteps=${this.totalSteps}`);
    const v = this.vals[i]!;
    let start = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const ph = this.phases[k]!;
      if (t <= ph.end || k === this.phases.length - 1) {
        const p = (t - start) / (ph.end - start);
        const [a, b] = ph[which];
        return this.anneal(v[a]!, v[b]!, p);
      }
      start = ph.end;
    }
    return NaN;
  }

  protected override afterStep(): void {
    if (!this.cycleMomentum) return;
    this.optimizer.paramGroups.forEach((g, i) => {
      const m = this.at(this.lastEpoch, i, 'm');
      if (Array.isArray(g.betas)) g.betas = [m, g.betas[1]];
      else g.momentum = m;
    });
  }
}
