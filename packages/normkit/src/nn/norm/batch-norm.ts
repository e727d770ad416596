/**
 * BatchNorm modules: BatchNorm1d/2d/3d (channels at dim 1, as PyTorch) and a
 * generic BatchNorm with the channel axis as an option (Keras' `axis`).
 */
import { fmtValue } from '../module.js';
import { NormLayer } from './norm-layer.js';
import { Tensor } from '../../tensor/tensor.js';
import { type DType, allocate } from '../../tensor/dtype.js';
import { full } from '../../tensor/create.js';
import { fmtShape, normalizeAxis } from '../../tensor/shape.js';
import { batchNorm } from '../../functional/batch-norm.js';
import { checkOptions, checkEcho } from '../../options.js';

/** Options shared by the BatchNorm modules (defaults are PyTorch's). */
export interface BatchNormModuleOptions {
  /** Added to the variance before the square root (default 1e-5; Keras uses 1e-3). */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics, `r = (1 - m) r + m stat`
   * (default 0.1). `null`: cumulative moving average, m = 1 / numBatchesTracked.
   * Keras' `momentum=0.99` (decay of the old value) is `momentum: 0.01` here.
   */
  momentum?: number | null;
  /** Learnable per-channel `weight` (ones) and `bias` (zeros) (default true). */
  affine?: boolean;
  /**
   * Keep `running_mean`, `running_var` and `num_batches_tracked` buffers and
   * use them in evaluation (default true). When false, batch statistics are
   * used in training and evaluation alike, and the buffers are null.
   */
  trackRunningStats?: boolean;
  /**
   * Accumulate the unbiased batch variance in `running_var` (default true,
   * PyTorch). `false` accumulates the biased variance, as Keras,
   * TensorFlow.js and ONNX do (use it with weights from those libraries).
   */
  unbiasedRunningVar?: boolean;
  /** Storage type of parameters and buffers (default 'float32'). */
  dtype?: DType;
  /** Learn the `bias` when `affine` (default true; `false` keeps the gain only, as PyTorch 2.x's `bias=False`). */
  bias?: boolean;
  /** Accepted so `getConfig()` output can be passed back; must equal the positional argument. */
  numFeatures?: number;
}

/** Options of the generic `BatchNorm`: the channel axis as well. */
export interface GenericBatchNormOptions extends BatchNormModuleOptions {
  /** The channel axis of the input (default 1; -1 for channels-last, Keras' default). */
  axis?: number;
}

/** The constructor options, all filled in (what `getConfig()` returns). */
export interface BatchNormConfig {
  numFeatures: number;
  eps: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
  unbiasedRunningVar: boolean;
  dtype: DType;
  bias?: boolean;
}

/**
 * Shared implementation of the BatchNorm and InstanceNorm modules (PyTorch's
 * `_NormBase`): the parameters `weight`, `bias` and the buffers
 * `running_mean`, `running_var`, `num_batches_tracked`, with PyTorch names.
 */
const NORM_BASE_KEYS = ['eps', 'momentum', 'affine', 'trackRunningStats', 'unbiasedRunningVar', 'dtype', 'bias', 'numFeatures'] as const;

export abstract class NormBase extends NormLayer {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly unbiasedRunningVar: boolean;
  readonly dtype: DType;
  /** Whether the `bias` parameter exists (with `affine`). */
  readonly useBias: boolean;

  constructor(numFeatures: number, opts: BatchNormModuleOptions, defaults: { affine: boolean; trackRunningStats: boolean }, extraKeys: readonly string[] = []) {
    super();
    checkOptions(new.target.name, opts, [...NORM_BASE_KEYS, ...extraKeys]);
    checkEcho(new.target.name, opts, 'numFeatures', numFeatures);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new RangeError(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) {
      throw new RangeError(`${new.target.name}: momentum must be in [0, 1] or null, got ${momentum}`);
    }
    const eps = opts.eps ?? 1e-5;
    if (!(eps >= 0)) throw new RangeError(`${new.target.name}: eps must be >= 0, got ${eps}`);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = opts.affine ?? defaults.affine;
    this.trackRunningStats = opts.trackRunningStats ?? defaults.trackRunningStats;
    this.unbiasedRunningVar = opts.unbiasedRunningVar ?? true;
    this.dtype = opts.dtype ?? 'float32';
    this.useBias = opts.bias ?? true;
    const C = numFeatures;
    this.registerParameter('weight', this.affine ? full([C], 1, { dtype: this.dtype }) : null);
    this.registerParameter('bias', this.affine && this.useBias ? full([C], 0, { dtype: this.dtype }) : null);
    this.registerBuffer('running_mean', this.trackRunningStats ? full([C], 0, { dtype: this.dtype }) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? full([C], 1, { dtype: this.dtype }) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? new Tensor(allocate('float64', 1), []) : null);
  }

  /** Running mean 0, running variance 1, numBatchesTracked 0. */
  resetRunningStats(): void {
    this.runningMean?.data.fill(0);
    this.runningVar?.data.fill(1);
    this.getBuffer('num_batches_tracked')?.data.fill(0);
  }

  /** Reset the running statistics, weight to ones and bias to zeros. */
  override resetParameters(): void {
    this.resetRunningStats();
    super.resetParameters();
  }

  /**
   * Count a training step when tracking; returns the update factor: momentum,
   * or 1 / numBatchesTracked when momentum is null (cumulative average).
   */
  protected stepRunningStats(): number {
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats) {
      const t = this.getBuffer('num_batches_tracked')!;
      t.data[0] = t.data[0]! + 1;
      if (this.momentum === null) factor = 1 / t.data[0]!;
    }
    return factor;
  }

  /** `16, eps=1e-5, momentum=0.1, affine=true, trackRunningStats=true` (non-default Keras options appended). */
  override extraRepr(): string {
    let s = `${this.numFeatures}, eps=${fmtValue(this.eps)}, momentum=${fmtValue(this.momentum)}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
    if (!this.unbiasedRunningVar) s += ', unbiasedRunningVar=false';
    if (!this.useBias) s += ', bias=false';
    return s;
  }

  /** The constructor options with defaults filled in; `new Cls(c.numFeatures, c)` rebuilds the layer. */
  getConfig(): BatchNormConfig {
    return {
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.affine,
      trackRunningStats: this.trackRunningStats,
      unbiasedRunningVar: this.unbiasedRunningVar,
      dtype: this.dtype,
      // appended only when off, so configs written before the option existed compare equal
      ...(this.useBias ? {} : { bias: false }),
    };
  }
}

/**
 * Batch normalization (Ioffe & Szegedy 2015, arXiv:1502.03167) over the
 * channel axis (default 1):
 *
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 *
 * Training: batch statistics per channel over every other dim (biased
 * variance), and the running statistics move by `r = (1 - momentum) r +
 * momentum stat` with the **unbiased** batch variance (PyTorch;
 * `unbiasedRunningVar: false` for Keras' biased one); `numBatchesTracked`
 * counts the steps. Evaluation: the running statistics. With
 * `trackRunningStats: false`, batch statistics in both modes.
 *
 * Because evaluation divides by the unbiased running variance while training
 * divides by the biased batch variance, eval output on the very batch the
 * stats came from differs by a factor sqrt(M / (M - 1)) (see docs/conventions.md).
 */
export class BatchNorm extends NormBase {
  /** The channel axis as given (may be negative: counted from the end of each input). */
  readonly axis: number;

  constructor(numFeatures: number, opts: GenericBatchNormOptions = {}) {
    super(numFeatures, opts, { affine: true, trackRunningStats: true }, ['axis']);
    this.axis = opts.axis ?? 1;
    if (!Number.isInteger(this.axis)) throw new RangeError(`BatchNorm: axis must be an integer, got ${this.axis}`);
  }

  /** Check the input's rank (BatchNorm1d/2d/3d override it). */
  protected checkInputDim(x: Tensor): void {
    normalizeAxis(this.axis, x.ndim, `${this.typeName} axis`);
    if (x.ndim < 2) throw new RangeError(`${this.typeName}: expected at least 2D input (got ${x.ndim}D input)`);
  }

  /** Normalize `x` (channels on `axis`). */
  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    const axis = normalizeAxis(this.axis, x.ndim);
    if (x.shape[axis] !== this.numFeatures) {
      throw new RangeError(`${this.typeName}: expected input with ${this.numFeatures} channels at dim ${axis} (numFeatures=${this.numFeatures}), got ${x.shape[axis]} in input of shape ${fmtShape(x.shape)}`);
    }
    // PyTorch: batch statistics when training, or when there are no running stats to use
    const useBatchStats = this.training || !this.trackRunningStats;
    if (useBatchStats) {
      let M = 1;
      x.shape.forEach((d, i) => i !== axis && (M *= d));
      if (M <= 1) throw new RangeError(`expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
    }
    const factor = this.stepRunningStats();
    const track = this.trackRunningStats;
    return batchNorm(
      x, track ? this.runningMean : null, track ? this.runningVar : null, this.weight, this.bias,
      useBatchStats, factor, this.eps, { axis, unbiasedRunningVar: this.unbiasedRunningVar },
    );
  }

  override extraRepr(): string {
    const s = super.extraRepr();
    return this.axis === 1 ? s : `${s}, axis=${this.axis}`;
  }

  override getConfig(): BatchNormConfig & { axis: number } {
    return { ...super.getConfig(), axis: this.axis };
  }
}

/** Rank check shared by the 1d/2d/3d variants, with PyTorch's message. */
function checkRank(x: Tensor, allowed: readonly number[]): void {
  if (!allowed.includes(x.ndim)) {
    throw new RangeError(`expected ${allowed.map((d) => `${d}D`).join(' or ')} input (got ${x.ndim}D input)`);
  }
}

/** BatchNorm over [N, C] or [N, C, L] inputs (channels at dim 1). See `BatchNorm`. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    checkEcho(new.target.name, opts, 'axis', 1);
    super(numFeatures, { ...opts, axis: 1 });
  }
  protected override checkInputDim(x: Tensor): void {
    checkRank(x, [2, 3]);
  }
}

/** BatchNorm over [N, C, H, W] inputs (channels at dim 1). See `BatchNorm`. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    checkEcho(new.target.name, opts, 'axis', 1);
    super(numFeatures, { ...opts, axis: 1 });
  }
  protected override checkInputDim(x: Tensor): void {
    checkRank(x, [4]);
  }
}

/** BatchNorm over [N, C, D, H, W] inputs (channels at dim 1). See `BatchNorm`. */
export class BatchNorm3d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    checkEcho(new.target.name, opts, 'axis', 1);
    super(numFeatures, { ...opts, axis: 1 });
  }
  protected override checkInputDim(x: Tensor): void {
    checkRank(x, [5]);
  }
}
