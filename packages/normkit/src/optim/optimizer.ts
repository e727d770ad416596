/**
 * The optimizer base: a list of parameters, a learning rate, a step counter
 * and an optional learning-rate schedule. Updates write into `param.data` in
 * place (no graph is recorded), so modules and optimizers share the tensors.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Schedule } from './schedules.js';

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  /** Base learning rate. */
  lr?: number;
  /**
   * Multiplier of `lr` as a function of the 1-based step number
   * (see `schedules`): step t uses `lr * schedule(t)`.
   */
  schedule?: Schedule;
}

export abstract class Optimizer {
  /** The parameters updated by `step()`. */
  readonly params: Tensor[];
  /** Base learning rate (settable between steps). */
  lr: number;
  /** Multiplier of `lr` per step (settable), or null for a constant rate. */
  schedule: Schedule | null;
  /** Number of `step()` calls so far. */
  stepCount = 0;
  /** The learning rate the last step used (`lr * schedule(step)`). */
  lastLr = 0;

  constructor(params: Iterable<Tensor>, lr: number, schedule: Schedule | null | undefined, name: string) {
    this.params = [...params];
    if (this.params.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    const seen = new Set<Tensor>();
    for (const p of this.params) {
      if (seen.has(p)) throw new RangeError(`${name}: a parameter appears twice in the list (shape [${p.shape.join(', ')}])`);
      seen.add(p);
    }
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`${name}: invalid learning rate ${lr} (expected a finite number >= 0)`);
    this.lr = lr;
    this.schedule = schedule ?? null;
  }

  /** Clear every parameter's gradient (set to null, as PyTorch's `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Apply one update from the current gradients (parameters without a gradient are skipped). */
  step(): void {
    this.stepCount++;
    const lr = this.schedule ? this.lr * this.schedule(this.stepCount) : this.lr;
    this.lastLr = lr;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      if (!p.grad) continue;
      if (p.grad.size !== p.size) throw new RangeError(`gradient of shape [${p.grad.shape.join(', ')}] for a parameter of shape [${p.shape.join(', ')}]`);
      this.update(i, p, p.grad.data, lr);
    }
  }

  /** Update parameter `i` in place from its gradient `g` at learning rate `lr`. */
  protected abstract update(i: number, p: Tensor, g: ArrayLike<number>, lr: number): void;
}
