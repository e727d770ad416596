/**
 * Loss modules, as `torch.nn.CrossEntropyLoss`, `MSELoss`, ...: the
 * functional losses (`nk.F.crossEntropy`, ...) with their options fixed at
 * construction. Class weights are registered as buffers named as PyTorch's
 * (`weight`, `pos_weight`), so they appear in `stateDict()` the same way.
 */
import type { Tensor } from '../tensor/tensor.js';
import {
  type Reduction, type Targets, bceLoss, bceWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss,
} from '../functional/losses.js';
import { checkOptions } from '../options.js';
import { Module } from './module.js';

const REDUCTIONS = ['mean', 'sum', 'none'];

abstract class LossBase extends Module {
  readonly reduction: Reduction;
  constructor(where: string, opts: { reduction?: Reduction } | undefined, keys: readonly string[]) {
    super();
    checkOptions(where, opts, ['reduction', ...keys]);
    this.reduction = opts?.reduction ?? 'mean';
    if (!REDUCTIONS.includes(this.reduction)) throw new RangeError(`${where}: reduction must be 'mean', 'sum' or 'none', got '${String(this.reduction)}'`);
  }

  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction='${this.reduction}'`;
  }
}

/** `torch.nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)`; see `F.crossEntropy`. */
export class CrossEntropyLoss extends LossBase {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {}) {
    super('CrossEntropyLoss', opts, ['weight', 'ignoreIndex', 'labelSmoothing']);
    this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Targets): Tensor {
    return crossEntropy(input, target, { weight: this.getBuffer('weight'), ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/** `torch.nn.NLLLoss(weight, ignore_index, reduction)`; see `F.nllLoss`. */
export class NLLLoss extends LossBase {
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super('NLLLoss', opts, ['weight', 'ignoreIndex']);
    this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Targets): Tensor {
    return nllLoss(input, target, { weight: this.getBuffer('weight'), ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** `torch.nn.MSELoss(reduction)`: (input - target)^2. */
export class MSELoss extends LossBase {
  constructor(opts: { reduction?: Reduction } = {}) {
    super('MSELoss', opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** `torch.nn.L1Loss(reduction)`: |input - target|. */
export class L1Loss extends LossBase {
  constructor(opts: { reduction?: Reduction } = {}) {
    super('L1Loss', opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** `torch.nn.HuberLoss(reduction, delta)`; see `F.huberLoss`. */
export class HuberLoss extends LossBase {
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super('HuberLoss', opts, ['delta']);
    this.delta = opts.delta ?? 1;
    if (!(this.delta > 0)) throw new RangeError(`HuberLoss: delta must be > 0, got ${this.delta}`);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** `torch.nn.SmoothL1Loss(reduction, beta)`; see `F.smoothL1Loss`. */
export class SmoothL1Loss extends LossBase {
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) {
    super('SmoothL1Loss', opts, ['beta']);
    this.beta = opts.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** `torch.nn.BCEWithLogitsLoss(weight, reduction, pos_weight)`; see `F.bceWithLogits`. Buffers `weight`, `pos_weight`. */
export class BCEWithLogitsLoss extends LossBase {
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super('BCEWithLogitsLoss', opts, ['weight', 'posWeight']);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogits(input, target, { weight: this.getBuffer('weight'), posWeight: this.getBuffer('pos_weight'), reduction: this.reduction });
  }
}

/** `torch.nn.BCELoss(weight, reduction)` on probabilities; see `F.bceLoss`. */
export class BCELoss extends LossBase {
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super('BCELoss', opts, ['weight']);
    this.registerBuffer('weight', opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceLoss(input, target, { weight: this.getBuffer('weight'), reduction: this.reduction });
  }
}
