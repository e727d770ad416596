/**
 * A multilayer perceptron with a normalization before each activation, the
 * set-up of the source material (Linear -> Norm -> activation per hidden
 * layer, then a Linear head), with optional residual connections.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { defaultRng } from '../tensor/random.js';
import { add } from '../functional/elementwise.js';
import { dropout } from '../functional/dropout.js';
import { Linear } from './linear.js';
import { type ActivationName, makeActivation } from './activation.js';
import { ModuleList } from './container.js';
import { Layer, type UnaryModule } from './layer.js';
import { type NormKind, makeNorm } from './norm-factory.js';
import { checkOptions } from '../options.js';

/** Options of `MLP`. */
export interface MLPOptions {
  inFeatures: number;
  /** Widths of the hidden layers (may be empty: then a single Linear). */
  hidden: readonly number[];
  outFeatures: number;
  /** Hidden activation (default 'relu'). */
  activation?: ActivationName;
  /** Normalization before each activation (default 'none'); see `makeNorm`, features layout. */
  norm?: Exclude<NormKind, 'instancenorm'>;
  /** Add the block's input to its output where the widths match (default false). */
  residual?: boolean;
  /** Groups for norm 'groupnorm' (default: the largest divisor of the width <= 8). */
  normGroups?: number;
  /** Normalization epsilon (default: the module's own). */
  eps?: number;
  /** Dropout after each hidden activation, training only (default 0). */
  dropout?: number;
  /** Bias in the hidden Linear layers (default true; a norm with a shift makes it redundant). */
  bias?: boolean;
  /** Generator for the initial weights and dropout masks. */
  rng?: Rng;
}

/** One hidden layer: `act(norm(linear(x)))`; children `linear` and `norm`. */
export class MLPBlock extends Layer {
  readonly linear: Linear;
  readonly norm: UnaryModule;
  readonly activation: UnaryModule;

  constructor(inF: number, outF: number, norm: UnaryModule, activation: ActivationName, bias: boolean, rng?: Rng) {
    super();
    this.linear = this.registerModule('linear', new Linear(inF, outF, { bias, rng }));
    this.norm = this.registerModule('norm', norm);
    this.activation = makeActivation(activation);
  }

  /** The pre-activation `norm(linear(x))`. */
  preActivation(x: Tensor): Tensor {
    return this.norm.forward(this.linear.forward(x));
  }

  forward(x: Tensor): Tensor {
    return this.activation.forward(this.preActivation(x));
  }
}

/**
 * `MLP({inFeatures, hidden: [h1, ..., hk], outFeatures})`: k blocks
 * `x = act(norm(W_i x + b_i))` (with `x = x + block(x)` when `residual` and
 * the widths match), then `y = W_out x + b_out`. Input [N, inFeatures]
 * (any leading dims), output [N, outFeatures]. Children: `blocks.0.linear`,
 * `blocks.0.norm`, ..., `head`.
 *
 * Set `capture = true` to keep each block's pre-activation and output of the
 * last forward in `preActivations` / `activations` (graph nodes; call
 * `retainGrad()` on them before backward to read their gradients).
 */
export class MLP extends Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly hidden: number[];
  readonly activationName: ActivationName;
  readonly normKind: NonNullable<MLPOptions['norm']>;
  readonly residual: boolean;
  readonly dropoutP: number;
  readonly blocks: ModuleList<MLPBlock>;
  readonly head: Linear;
  /** Keep intermediate tensors of the next forwards (default false). */
  capture = false;
  /** Pre-activations (after the norm) of the last forward, when `capture`. */
  preActivations: Tensor[] = [];
  /** Block outputs of the last forward, when `capture`. */
  activations: Tensor[] = [];
  private readonly rng: Rng | null;

  constructor(opts: MLPOptions) {
    super();
    checkOptions('MLP', opts, ['inFeatures', 'hidden', 'outFeatures', 'activation', 'norm', 'residual', 'normGroups', 'eps', 'dropout', 'bias', 'rng']);
    const { inFeatures, outFeatures } = opts;
    const hidden = [...opts.hidden];
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures], ...hidden.map((h, i) => [`hidden[${i}]`, h] as const)] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`MLP: ${k} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.hidden = hidden;
    this.activationName = opts.activation ?? 'relu';
    this.normKind = opts.norm ?? 'none';
    this.residual = opts.residual ?? false;
    this.dropoutP = opts.dropout ?? 0;
    if (!(this.dropoutP >= 0 && this.dropoutP < 1)) throw new RangeError(`MLP: dropout must be in [0, 1), got ${this.dropoutP}`);
    this.rng = opts.rng ?? null;
    makeActivation(this.activationName); // validate the name early
    this.blocks = this.registerModule('blocks', new ModuleList<MLPBlock>());
    let prev = inFeatures;
    for (const h of hidden) {
      const norm = makeNorm(this.normKind, h, { groups: opts.normGroups, eps: opts.eps });
      this.blocks.append(new MLPBlock(prev, h, norm, this.activationName, opts.bias ?? true, opts.rng));
      prev = h;
    }
    this.head = this.registerModule('head', new Linear(prev, outFeatures, { rng: opts.rng }));
  }

  /** Every Linear layer in order (hidden layers, then the head). */
  get linears(): Linear[] {
    return [...[...this.blocks].map((b) => b.linear), this.head];
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new RangeError(`MLP: expected input with shape [*, ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    }
    if (this.capture) {
      this.preActivations = [];
      this.activations = [];
    }
    let h = x;
    for (const block of this.blocks) {
      const pre = block.preActivation(h);
      let y = block.activation.forward(pre);
      if (this.dropoutP > 0 && this.training) y = dropout(y, this.dropoutP, true, this.rng ?? defaultRng());
      if (this.residual && y.shape[y.ndim - 1] === h.shape[h.ndim - 1]) y = add(h, y);
      if (this.capture) {
        this.preActivations.push(pre);
        this.activations.push(y);
      }
      h = y;
    }
    return this.head.forward(h);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, hidden=[${this.hidden.join(', ')}], outFeatures=${this.outFeatures}, activation='${this.activationName}', norm='${this.normKind}'${this.residual ? ', residual=true' : ''}`;
  }
}
