/**
 * Keras's preprocessing `Normalization` layer: learn a mean and a variance
 * from data with `adapt()`, then standardize with `(x - mean) / max(sqrt(var), eps)`.
 *
 * Shape legend: the input has shape S; `axis` names the dims of S that keep
 * separate statistics (the "kept" dims, K = product of their sizes); every
 * other dim is reduced over.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { fmtShape, normalizeAxis, numel, stridesOf } from '../tensor/shape.js';
import { tensor } from '../tensor/create.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { add, div, mul, sub } from '../functional/elementwise.js';
import { reshape } from '../functional/shape-ops.js';
import { Module, fmtValue } from '../nn/module.js';
import { RunningMoments } from './moments.js';
import { checkOptions } from '../options.js';

/** A mean or variance given at construction: a scalar, flat or nested numbers, or a Tensor. */
export type StatInput = number | readonly number[] | readonly (readonly number[])[] | Tensor;

/** Options of {@link Normalization}. */
export interface NormalizationOptions {
  /** Dims that keep separate statistics (int or list, negative counts from the end; `null` or `[]`: one statistic for everything). Default -1. */
  axis?: number | readonly number[] | null;
  /** Precomputed mean (give `variance` too), broadcast to the kept dims. */
  mean?: StatInput;
  /** Precomputed variance (give `mean` too). */
  variance?: StatInput;
  /** Undo a normalization instead: `mean + x * max(sqrt(var), eps)`. Default false. */
  invert?: boolean;
  /** Floor on the standard deviation, so zero-variance features map to 0 instead of NaN. Default 1e-7 (Keras's `backend.epsilon()`). */
  eps?: number;
}

/** The serialisable configuration of a {@link Normalization} layer (plain JSON). */
export interface NormalizationConfig {
  axis: number[];
  invert: boolean;
  eps: number;
  /** Current statistics (flat over the kept dims), when the layer has them. */
  mean?: number[];
  variance?: number[];
}

/** Data accepted by `adapt`: one tensor (or nested numbers), or batches of them. */
export type AdaptData = Tensor | readonly number[] | readonly (readonly number[])[] | Iterable<Tensor>;

function flatStat(v: StatInput): Float64Array {
  if (typeof v === 'number') return Float64Array.of(v);
  if (v instanceof Tensor) return Float64Array.from(v.data);
  return Float64Array.from((v as readonly unknown[]).flat(Infinity as 1) as number[]);
}

/**
 * Keras `Normalization` (keras.layers.Normalization): feature-wise
 * standardization with statistics learned by `adapt()`.
 *
 *   y = (x - mean) / max(sqrt(variance), eps)            (invert=false)
 *   y = mean + x * max(sqrt(variance), eps)              (invert=true)
 *
 * `adapt(data)` computes the mean and the **population** variance over every
 * dim not listed in `axis`. Data may come as one Tensor, an array of Tensors,
 * or a (sync or async) iterable of batches; batch statistics are merged
 * exactly in float64 with the parallel algorithm of Chan, Golub & LeVeque
 * (1983), so streaming gives the same result as one big batch. Each call to
 * `adapt` starts afresh (as in Keras).
 *
 * As in Keras, 1-D data is read as a batch of scalars (`[N]` -> `[N, 1]`).
 *
 * Differences from Keras: statistics are kept in float64 and the forward pass
 * subtracts the float64 mean before rounding, so float32 inputs with a large
 * offset keep their digits; `eps` is an option (Keras hard-codes 1e-7).
 */
export class Normalization extends Module {
  /** Kept dims as given (may be negative); resolved against the input's rank. */
  readonly axis: number[];
  readonly invert: boolean;
  readonly eps: number;
  private meanF64: Float64Array | null = null;
  private varF64: Float64Array | null = null;
  private countF64: Float64Array | null = null;
  /** Sizes of the kept dims (known once adapted or first called). */
  private keptShape: number[] | null = null;

  constructor(opts: NormalizationOptions = {}) {
    super();
    checkOptions('Normalization', opts, ['axis', 'mean', 'variance', 'invert', 'eps']);
    const ax = opts.axis === undefined ? [-1] : opts.axis === null ? [] : typeof opts.axis === 'number' ? [opts.axis] : [...opts.axis];
    for (const a of ax) if (!Number.isInteger(a)) throw new TypeError(`Normalization: axis must be integers, got ${fmtValue(opts.axis)}`);
    if (new Set(ax).size !== ax.length) throw new RangeError(`Normalization: axis ${fmtValue(ax)} repeats a dim`);
    this.axis = ax;
    this.invert = opts.invert ?? false;
    this.eps = opts.eps ?? 1e-7;
    if (!(this.eps >= 0)) throw new RangeError(`Normalization: eps must be >= 0, got ${this.eps}`);
    const hasMean = opts.mean !== undefined && opts.mean !== null;
    const hasVar = opts.variance !== undefined && opts.variance !== null;
    if (hasMean !== hasVar) {
      throw new TypeError(`Normalization: give both mean and variance or neither; ${hasMean ? 'got mean but variance is missing' : 'got variance but mean is missing'}`);
    }
    if (hasMean) {
      const m = flatStat(opts.mean!);
      const v = flatStat(opts.variance!);
      if (m.length !== v.length && m.length !== 1 && v.length !== 1) {
        throw new RangeError(`Normalization: mean has ${m.length} values but variance has ${v.length}`);
      }
      for (let i = 0; i < v.length; i++) if (v[i]! < 0) throw new RangeError(`Normalization: variance must be >= 0, got ${v[i]} at index ${i}`);
      this.meanF64 = m;
      this.varF64 = v;
    }
  }

  /** Kept-axis indices resolved against an input of `ndim` dims. */
  private resolveAxes(ndim: number): number[] {
    const out = this.axis.map((a) => normalizeAxis(a, ndim, 'Normalization axis'));
    if (new Set(out).size !== out.length) throw new RangeError(`Normalization: axis ${fmtValue(this.axis)} name the same dim twice for a ${ndim}-D input`);
    return out.sort((a, b) => a - b);
  }

  /** For each element of a tensor of `shape`, the flat index of its kept-dims coordinate. */
  private groupIndex(shape: readonly number[], kept: readonly number[]): Uint32Array {
    const keptShape = kept.map((a) => shape[a]!);
    const kst = stridesOf(keptShape);
    const gst = shape.map(() => 0);
    kept.forEach((a, j) => (gst[a] = kst[j]!));
    const n = numel(shape);
    const out = new Uint32Array(n);
    const nd = shape.length;
    const idx = new Array<number>(nd).fill(0);
    let g = 0;
    for (let i = 0; i < n; i++) {
      out[i] = g;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]!++;
        g += gst[d]!;
        if (idx[d]! < shape[d]!) break;
        g -= gst[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
    return out;
  }

  private checkKept(shape: readonly number[], kept: readonly number[], what: string): number[] {
    const ks = kept.map((a) => shape[a]!);
    if (this.keptShape && (ks.length !== this.keptShape.length || ks.some((d, i) => d !== this.keptShape![i]))) {
      throw new RangeError(`Normalization: ${what} with shape ${fmtShape(shape)} has kept dims ${fmtShape(ks)} (axis ${fmtValue(this.axis)}), expected ${fmtShape(this.keptShape)}`);
    }
    return ks;
  }

  /**
   * Compute mean and population variance from data (replacing earlier statistics).
   * Sync data returns `this`; an async iterable returns a Promise of `this`.
   */
  adapt(data: AdaptData): this;
  adapt(data: AsyncIterable<Tensor>): Promise<this>;
  adapt(data: AdaptData | AsyncIterable<Tensor>): this | Promise<this> {
    this.keptShape = null;
    let acc: RunningMoments | null = null;
    const feed = (batch: Tensor) => {
      if (!(batch instanceof Tensor)) batch = tensor(batch as never, null, { dtype: 'float64' });
      // Keras: 1-D data is a batch of scalars, [N] -> [N, 1]
      if (batch.ndim === 1) batch = new Tensor(batch.data, [batch.size, 1]);
      const kept = this.resolveAxes(batch.ndim);
      const ks = this.checkKept(batch.shape, kept, 'batch');
      if (!acc) {
        this.keptShape = ks;
        acc = new RunningMoments(numel(ks));
      }
      if (batch.size === 0) return;
      acc.updateGrouped(batch.data, this.groupIndex(batch.shape, kept));
    };
    const finish = () => {
      if (!acc) throw new RangeError('Normalization.adapt: no data (got an empty list of batches)');
      const a = acc as RunningMoments;
      if (a.count.some((c) => c === 0)) throw new RangeError('Normalization.adapt: the data has no samples (a reduced dim has size 0)');
      this.meanF64 = Float64Array.from(a.mean);
      this.varF64 = a.variance();
      this.countF64 = Float64Array.from(a.count);
      return this;
    };
    if (data instanceof Tensor) {
      feed(data);
      return finish();
    }
    if (Array.isArray(data) && (data.length === 0 || typeof data[0] === 'number' || Array.isArray(data[0]))) {
      if (data.length > 0) {
        feed(tensor(data as never, null, { dtype: 'float64' }));
        return finish();
      }
    }
    if (data && typeof (data as AsyncIterable<Tensor>)[Symbol.asyncIterator] === 'function') {
      return (async () => {
        for await (const b of data as AsyncIterable<Tensor>) feed(b);
        return finish();
      })();
    }
    if (data && typeof (data as Iterable<Tensor>)[Symbol.iterator] === 'function') {
      for (const b of data as Iterable<Tensor>) feed(b);
      return finish();
    }
    throw new TypeError(`Normalization.adapt: expected a Tensor, an array of Tensors or an (async) iterable of batches, got ${typeof data}`);
  }

  /** True once the layer has statistics (adapted or given). */
  get isAdapted(): boolean {
    return this.meanF64 !== null;
  }

  /** Statistics broadcast over `keptShape`, or an error naming the mismatch. */
  private statsFor(ks: number[]): { mean: Float64Array; std: Float64Array } {
    if (!this.meanF64 || !this.varF64) throw new Error('Normalization: call adapt(data) or give mean and variance before using the layer');
    const K = numel(ks);
    const pick = (a: Float64Array, what: string) => {
      if (a.length === K) return a;
      if (a.length === 1) return new Float64Array(K).fill(a[0]!);
      throw new RangeError(`Normalization: ${what} has ${a.length} values but the input's kept dims ${fmtShape(ks)} (axis ${fmtValue(this.axis)}) need ${K}`);
    };
    const mean = pick(this.meanF64, 'mean');
    const v = pick(this.varF64, 'variance');
    const std = new Float64Array(K);
    for (let k = 0; k < K; k++) std[k] = Math.max(Math.sqrt(v[k]!), this.eps);
    return { mean, std };
  }

  /**
   * Standardize (or, with `invert`, de-standardize) `x`. The kept dims of `x`
   * must match the adapted data's. Arithmetic is float64; the result has x's dtype.
   */
  forward(x: Tensor): Tensor {
    if (x.ndim === 1) {
      // Keras: a 1-D input is a batch of scalars
      const y = this.forward(reshape(x, [x.size, 1]));
      return reshape(y, x.shape);
    }
    const kept = this.resolveAxes(x.ndim);
    const ks = this.checkKept(x.shape, kept, 'input');
    const { mean, std } = this.statsFor(ks);
    if (x.requiresGrad && isGradEnabled()) {
      // Differentiable path through the recorded ops (statistics are constants).
      const bshape = x.shape.map((d, i) => (kept.includes(i) ? d : 1));
      const m = tensor(mean, bshape, { dtype: x.dtype });
      const s = tensor(std, bshape, { dtype: x.dtype });
      return this.invert ? add(m, mul(x, s)) : div(sub(x, m), s);
    }
    const g = this.groupIndex(x.shape, kept);
    const out = allocate(x.dtype, x.size);
    const d = x.data;
    if (this.invert) for (let i = 0; i < out.length; i++) out[i] = mean[g[i]!]! + d[i]! * std[g[i]!]!;
    else for (let i = 0; i < out.length; i++) out[i] = (d[i]! - mean[g[i]!]!) / std[g[i]!]!;
    return new Tensor(out, x.shape);
  }

  /** The mean over the kept dims (float64), or null before adapt. */
  get mean(): Tensor | null {
    return this.meanF64 ? tensor(Float64Array.from(this.meanF64), this.keptShape && numel(this.keptShape) === this.meanF64.length ? this.keptShape : [this.meanF64.length]) : null;
  }

  /** The population variance over the kept dims (float64), or null before adapt. */
  get variance(): Tensor | null {
    return this.varF64 ? tensor(Float64Array.from(this.varF64), this.keptShape && numel(this.keptShape) === this.varF64.length ? this.keptShape : [this.varF64.length]) : null;
  }

  /** How many values each statistic was computed from (null unless adapted). */
  get count(): Tensor | null {
    return this.countF64 ? tensor(Float64Array.from(this.countF64), this.keptShape ?? [this.countF64.length]) : null;
  }

  /** Constructor options that rebuild this layer, with its current statistics as `mean`/`variance`. */
  getConfig(): NormalizationConfig {
    const cfg: NormalizationConfig = { axis: [...this.axis], invert: this.invert, eps: this.eps };
    if (this.meanF64 && this.varF64) {
      cfg.mean = Array.from(this.meanF64);
      cfg.variance = Array.from(this.varF64);
    }
    return cfg;
  }

  /** Rebuild a layer from `getConfig()`'s output. */
  static fromConfig(cfg: NormalizationConfig): Normalization {
    return new Normalization({ axis: cfg.axis, invert: cfg.invert, eps: cfg.eps, mean: cfg.mean, variance: cfg.variance });
  }

  override extraRepr(): string {
    return `axis=${fmtValue(this.axis.length === 1 ? this.axis[0] : this.axis)}${this.invert ? ', invert=true' : ''}, eps=${fmtValue(this.eps)}${this.isAdapted ? '' : ', notAdapted'}`;
  }
}
