/**
 * scikit-learn's feature scalers (sklearn.preprocessing), on 2-D data
 * `[nSamples, nFeatures]`: StandardScaler, MinMaxScaler, RobustScaler,
 * MaxAbsScaler and Normalizer. Statistics are float64; outputs keep the
 * input's dtype (float64 for nested arrays).
 *
 * Shape legend: N = samples (rows), D = features (columns).
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { fmtShape } from '../tensor/shape.js';
import { tensor } from '../tensor/create.js';
import { fmtValue } from '../nn/module.js';
import { RunningMoments } from './moments.js';
import { checkOptions } from '../options.js';

/** 2-D data: a rank-2 Tensor or nested number arrays (one row per sample). */
export type Matrix = Tensor | readonly (readonly number[])[];

interface Mat {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  dtype: DType;
}

function asMatrix(X: Matrix, who: string): Mat {
  if (X instanceof Tensor) {
    if (X.ndim !== 2) throw new RangeError(`${who}: expected 2-D data [nSamples, nFeatures], got shape ${fmtShape(X.shape)} (reshape 1-D data to [-1, 1] for one feature)`);
    return { data: X.data, rows: X.shape[0]!, cols: X.shape[1]!, dtype: X.dtype };
  }
  if (!Array.isArray(X) || (X.length > 0 && !Array.isArray(X[0]))) {
    throw new RangeError(`${who}: expected 2-D data (an array of rows), got ${Array.isArray(X) ? '1-D array' : typeof X}`);
  }
  const t = tensor(X as never, null, { dtype: 'float64' });
  if (t.ndim !== 2) throw new RangeError(`${who}: expected 2-D data, got shape ${fmtShape(t.shape)}`);
  return { data: t.data, rows: t.shape[0]!, cols: t.shape[1]!, dtype: 'float64' };
}

function checkFeatures(m: Mat, expected: number | null, who: string): void {
  if (expected !== null && m.cols !== expected) {
    throw new RangeError(`${who}: X has ${m.cols} features, but ${who} is expecting ${expected} features as input`);
  }
}

function notFitted(who: string): never {
  throw new Error(`${who}: this instance is not fitted yet; call fit() or partialFit() first`);
}

/**
 * scikit-learn's `_handle_zeros_in_scale`: scales that are (numerically) zero
 * become 1, so constant features pass through unscaled instead of dividing by 0.
 */
function handleZeros(scale: Float64Array, constant?: Uint8Array): Float64Array {
  const eps = 2 ** -52;
  for (let j = 0; j < scale.length; j++) if (scale[j]! < 10 * eps || (constant && constant[j])) scale[j] = 1;
  return scale;
}

/** Apply `f(value, feature)` to every element into fresh storage of `m`'s dtype. */
function mapMatrix(m: Mat, f: (v: number, j: number) => number): Tensor {
  const out = allocate(m.dtype, m.rows * m.cols);
  const d = m.data;
  for (let r = 0, o = 0; r < m.rows; r++, o += m.cols) for (let j = 0; j < m.cols; j++) out[o + j] = f(d[o + j]!, j);
  return new Tensor(out, [m.rows, m.cols]);
}

/** `(x - center) / scale` per feature, each step only when enabled (StandardScaler, RobustScaler). */
function centerScale(m: Mat, center: Float64Array, scale: Float64Array, doCenter: boolean, doScale: boolean): Tensor {
  return mapMatrix(m, (v, j) => {
    let z = doCenter ? v - center[j]! : v;
    if (doScale) z /= scale[j]!;
    return z;
  });
}

/** The inverse of `centerScale`: `x * scale + center`. */
function uncenterScale(m: Mat, center: Float64Array, scale: Float64Array, doCenter: boolean, doScale: boolean): Tensor {
  return mapMatrix(m, (v, j) => {
    let z = doScale ? v * scale[j]! : v;
    if (doCenter) z += center[j]!;
    return z;
  });
}

/** Options of {@link StandardScaler}. */
export interface StandardScalerOptions {
  /** Subtract the mean. Default true. */
  withMean?: boolean;
  /** Divide by the (biased) standard deviation. Default true. */
  withStd?: boolean;
}

/**
 * StandardScaler: `z = (x - mean) / std` per feature, with the biased
 * (population) standard deviation, as scikit-learn.
 *
 * `partialFit` merges batches exactly with Chan, Golub & LeVeque's (1983)
 * parallel update in float64; NaN values are ignored when fitting (each
 * feature counts its own samples, `nSamplesSeen`) and stay NaN in
 * `transform`. A feature whose variance is zero up to rounding (scikit-learn's
 * `_is_constant_feature` bound) gets scale 1.
 */
export class StandardScaler {
  readonly withMean: boolean;
  readonly withStd: boolean;
  private moments: RunningMoments | null = null;
  /** Per-feature mean (float64), or null before fitting. */
  mean: Float64Array | null = null;
  /** Per-feature population variance (float64), or null before fitting. */
  var: Float64Array | null = null;
  /** Per-feature divisor used by transform (std, zeros replaced by 1). */
  scale: Float64Array | null = null;
  /** Non-NaN samples seen per feature. */
  nSamplesSeen: Float64Array | null = null;

  constructor(opts: StandardScalerOptions = {}) {
    checkOptions('StandardScaler', opts, ['withMean', 'withStd']);
    this.withMean = opts.withMean ?? true;
    this.withStd = opts.withStd ?? true;
  }

  /** Number of features seen in fit, or null. */
  get nFeaturesIn(): number | null {
    return this.moments?.groups ?? null;
  }

  /** Forget previous statistics and fit on X. */
  fit(X: Matrix): this {
    this.moments = null;
    return this.partialFit(X);
  }

  /** Merge X's statistics into the running ones (Chan et al. 1983). */
  partialFit(X: Matrix): this {
    const m = asMatrix(X, 'StandardScaler');
    checkFeatures(m, this.nFeaturesIn, 'StandardScaler');
    if (!this.moments) this.moments = new RunningMoments(m.cols);
    this.moments.updateRows(m.data, m.rows, true);
    const mom = this.moments;
    this.mean = Float64Array.from(mom.mean, (v: number, j: number) => (mom.count[j]! > 0 ? v : NaN));
    this.var = mom.variance();
    this.nSamplesSeen = Float64Array.from(mom.count);
    // scikit-learn's _is_constant_feature: var within the rounding error of its own computation.
    const eps = 2 ** -52;
    const constant = new Uint8Array(m.cols);
    for (let j = 0; j < m.cols; j++) {
      const n = mom.count[j]!;
      const bound = n * eps * this.var[j]! + (n * this.mean[j]! * eps) ** 2;
      constant[j] = this.var[j]! <= bound ? 1 : 0;
    }
    this.scale = handleZeros(Float64Array.from(this.var, Math.sqrt), constant);
    return this;
  }

  /** `(x - mean) / scale` per the flags. */
  transform(X: Matrix): Tensor {
    const m = asMatrix(X, 'StandardScaler');
    if (!this.mean || !this.scale) notFitted('StandardScaler');
    checkFeatures(m, this.nFeaturesIn, 'StandardScaler');
    return centerScale(m, this.mean, this.scale, this.withMean, this.withStd);
  }

  /** `x * scale + mean`, undoing transform. */
  inverseTransform(X: Matrix): Tensor {
    const m = asMatrix(X, 'StandardScaler');
    if (!this.mean || !this.scale) notFitted('StandardScaler');
    checkFeatures(m, this.nFeaturesIn, 'StandardScaler');
    return uncenterScale(m, this.mean, this.scale, this.withMean, this.withStd);
  }

  /** fit then transform. */
  fitTransform(X: Matrix): Tensor {
    return this.fit(X).transform(X);
  }

  toString(): string {
    return `StandardScaler(withMean=${this.withMean}, withStd=${this.withStd})`;
  }
}

/** Options of {@link MinMaxScaler}. */
export interface MinMaxScalerOptions {
  /** Target range `[min, max]`, min < max. Default [0, 1]. */
  featureRange?: readonly [number, number];
  /** Clip transformed values into featureRange. Default false. */
  clip?: boolean;
}

/**
 * MinMaxScaler: `x * scale + min` with `scale = (hi - lo) / (dataMax - dataMin)`
 * and `min = lo - dataMin * scale`, mapping each feature's observed range onto
 * `featureRange = [lo, hi]` (scikit-learn semantics; NaN ignored in fit, a
 * constant feature gets scale `hi - lo`).
 */
export class MinMaxScaler {
  readonly featureRange: [number, number];
  readonly clip: boolean;
  dataMin: Float64Array | null = null;
  dataMax: Float64Array | null = null;
  dataRange: Float64Array | null = null;
  scale: Float64Array | null = null;
  min: Float64Array | null = null;
  nSamplesSeen = 0;

  constructor(opts: MinMaxScalerOptions = {}) {
    checkOptions('MinMaxScaler', opts, ['featureRange', 'clip']);
    const fr = opts.featureRange ?? [0, 1];
    if (fr.length !== 2 || !(fr[0] < fr[1])) {
      throw new RangeError(`MinMaxScaler: minimum of desired feature range must be smaller than maximum, got featureRange ${fmtValue([...fr])}`);
    }
    this.featureRange = [fr[0], fr[1]];
    this.clip = opts.clip ?? false;
  }

  fit(X: Matrix): this {
    this.dataMin = this.dataMax = null;
    this.nSamplesSeen = 0;
    return this.partialFit(X);
  }

  /** Update the running per-feature min and max with X. */
  partialFit(X: Matrix): this {
    const m = asMatrix(X, 'MinMaxScaler');
    checkFeatures(m, this.dataMin ? this.dataMin.length : null, 'MinMaxScaler');
    const lo = this.dataMin ?? new Float64Array(m.cols).fill(NaN);
    const hi = this.dataMax ?? new Float64Array(m.cols).fill(NaN);
    const d = m.data;
    for (let r = 0, o = 0; r < m.rows; r++, o += m.cols) {
      for (let j = 0; j < m.cols; j++) {
        const v = d[o + j]!;
        if (Number.isNaN(v)) continue;
        if (!(v >= lo[j]!)) lo[j] = v;
        if (!(v <= hi[j]!)) hi[j] = v;
      }
    }
    this.dataMin = lo;
    this.dataMax = hi;
    this.nSamplesSeen += m.rows;
    this.dataRange = Float64Array.from(hi, (h, j) => h - lo[j]!);
    const [a, b] = this.featureRange;
    this.scale = Float64Array.from(handleZeros(Float64Array.from(this.dataRange)), (r) => (b - a) / r);
    this.min = Float64Array.from(lo, (l, j) => a - l * this.scale![j]!);
    return this;
  }

  transform(X: Matrix): Tensor {
    const m = asMatrix(X, 'MinMaxScaler');
    if (!this.scale || !this.min) notFitted('MinMaxScaler');
    checkFeatures(m, this.scale.length, 'MinMaxScaler');
    const [a, b] = this.featureRange;
    const scale = this.scale;
    const min = this.min;
    return mapMatrix(m, (v, j) => {
      const z = v * scale[j]! + min[j]!;
      return this.clip ? Math.min(Math.max(z, a), b) : z;
    });
  }

  inverseTransform(X: Matrix): Tensor {
    const m = asMatrix(X, 'MinMaxScaler');
    if (!this.scale || !this.min) notFitted('MinMaxScaler');
    checkFeatures(m, this.scale.length, 'MinMaxScaler');
    const scale = this.scale;
    const min = this.min;
    return mapMatrix(m, (v, j) => (v - min[j]!) / scale[j]!);
  }

  fitTransform(X: Matrix): Tensor {
    return this.fit(X).transform(X);
  }

  toString(): string {
    return `MinMaxScaler(featureRange=${fmtValue(this.featureRange)}, clip=${this.clip})`;
  }
}

/**
 * The q-th quantile (0..1) of sorted values by linear interpolation between
 * the closest ranks: numpy's default `method='linear'`,
 * `h = (n - 1) q`, `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // numpy's _lerp: keeps the result exact at both ends.
  const t = h - lo;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * Inverse of the standard normal CDF, Wichura's algorithm AS 241 (PPND16,
 * Applied Statistics 37, 1988), accurate to about 1e-16.
 */
export function normalPpf(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608))
      / (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let val: number;
  if (r <= 5) {
    r -= 1.6;
    val = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734)
      / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772)
      / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -val : val;
}

/** Options of {@link RobustScaler}. */
export interface RobustScalerOptions {
  /** Subtract the median. Default true. */
  withCentering?: boolean;
  /** Divide by the interquantile range. Default true. */
  withScaling?: boolean;
  /** Percentiles `[qMin, qMax]` (0..100) of the range. Default [25, 75] (the IQR). */
  quantileRange?: readonly [number, number];
  /** Rescale so a normal feature ends with unit variance. Default false. */
  unitVariance?: boolean;
}

/**
 * RobustScaler: `(x - median) / (Q(qMax) - Q(qMin))` per feature, robust to
 * outliers (scikit-learn semantics: quantiles as numpy's linear method, NaN
 * ignored, zero range -> 1; with `unitVariance`, the range is divided by
 * `Phi^-1(qMax) - Phi^-1(qMin)` so normally distributed data ends with unit variance).
 * Quantiles need all the data at once: there is no partialFit.
 */
export class RobustScaler {
  readonly withCentering: boolean;
  readonly withScaling: boolean;
  readonly quantileRange: [number, number];
  readonly unitVariance: boolean;
  center: Float64Array | null = null;
  scale: Float64Array | null = null;
  private nFeatures: number | null = null;

  constructor(opts: RobustScalerOptions = {}) {
    checkOptions('RobustScaler', opts, ['withCentering', 'withScaling', 'quantileRange', 'unitVariance']);
    this.withCentering = opts.withCentering ?? true;
    this.withScaling = opts.withScaling ?? true;
    const qr = opts.quantileRange ?? [25, 75];
    if (qr.length !== 2 || !(qr[0] >= 0 && qr[0] <= qr[1] && qr[1] <= 100)) {
      throw new RangeError(`RobustScaler: invalid quantileRange ${fmtValue([...qr])} (expected 0 <= qMin <= qMax <= 100)`);
    }
    this.quantileRange = [qr[0], qr[1]];
    this.unitVariance = opts.unitVariance ?? false;
  }

  fit(X: Matrix): this {
    const m = asMatrix(X, 'RobustScaler');
    const D = m.cols;
    const center = new Float64Array(D);
    const scale = new Float64Array(D);
    const col = new Float64Array(m.rows);
    for (let j = 0; j < D; j++) {
      let k = 0;
      for (let r = 0; r < m.rows; r++) {
        const v = m.data[r * D + j]!;
        if (!Number.isNaN(v)) col[k++] = v;
      }
      const s = col.subarray(0, k).slice().sort();
      center[j] = quantileSorted(s, 0.5);
      scale[j] = quantileSorted(s, this.quantileRange[1] / 100) - quantileSorted(s, this.quantileRange[0] / 100);
    }
    handleZeros(scale);
    if (this.unitVariance) {
      const adjust = normalPpf(this.quantileRange[1] / 100) - normalPpf(this.quantileRange[0] / 100);
      for (let j = 0; j < D; j++) scale[j] = scale[j]! / adjust;
    }
    this.center = center;
    this.scale = scale;
    this.nFeatures = D;
    return this;
  }

  transform(X: Matrix): Tensor {
    const m = asMatrix(X, 'RobustScaler');
    if (!this.center || !this.scale) notFitted('RobustScaler');
    checkFeatures(m, this.nFeatures, 'RobustScaler');
    return centerScale(m, this.center, this.scale, this.withCentering, this.withScaling);
  }

  inverseTransform(X: Matrix): Tensor {
    const m = asMatrix(X, 'RobustScaler');
    if (!this.center || !this.scale) notFitted('RobustScaler');
    checkFeatures(m, this.nFeatures, 'RobustScaler');
    return uncenterScale(m, this.center, this.scale, this.withCentering, this.withScaling);
  }

  fitTransform(X: Matrix): Tensor {
    return this.fit(X).transform(X);
  }

  toString(): string {
    return `RobustScaler(withCentering=${this.withCentering}, withScaling=${this.withScaling}, quantileRange=${fmtValue(this.quantileRange)}, unitVariance=${this.unitVariance})`;
  }
}

/**
 * MaxAbsScaler: `x / max|x|` per feature, mapping each feature into [-1, 1]
 * without shifting it (keeps sparsity; scikit-learn semantics, NaN ignored,
 * an all-zero feature gets scale 1).
 */
export class MaxAbsScaler {
  maxAbs: Float64Array | null = null;
  scale: Float64Array | null = null;
  nSamplesSeen = 0;

  /** No options (scikit-learn's `copy` has no meaning here); any key throws. */
  constructor(opts?: Record<string, never>) {
    checkOptions('MaxAbsScaler', opts, []);
  }

  fit(X: Matrix): this {
    this.maxAbs = null;
    this.nSamplesSeen = 0;
    return this.partialFit(X);
  }

  /** Update the running per-feature max |x|. */
  partialFit(X: Matrix): this {
    const m = asMatrix(X, 'MaxAbsScaler');
    checkFeatures(m, this.maxAbs ? this.maxAbs.length : null, 'MaxAbsScaler');
    const mx = this.maxAbs ?? new Float64Array(m.cols);
    for (let r = 0, o = 0; r < m.rows; r++, o += m.cols) {
      for (let j = 0; j < m.cols; j++) {
        const a = Math.abs(m.data[o + j]!);
        if (a > mx[j]!) mx[j] = a;
      }
    }
    this.maxAbs = mx;
    this.nSamplesSeen += m.rows;
    this.scale = handleZeros(Float64Array.from(mx));
    return this;
  }

  transform(X: Matrix): Tensor {
    const m = asMatrix(X, 'MaxAbsScaler');
    if (!this.scale) notFitted('MaxAbsScaler');
    checkFeatures(m, this.scale.length, 'MaxAbsScaler');
    const s = this.scale;
    return mapMatrix(m, (v, j) => v / s[j]!);
  }

  inverseTransform(X: Matrix): Tensor {
    const m = asMatrix(X, 'MaxAbsScaler');
    if (!this.scale) notFitted('MaxAbsScaler');
    checkFeatures(m, this.scale.length, 'MaxAbsScaler');
    const s = this.scale;
    return mapMatrix(m, (v, j) => v * s[j]!);
  }

  fitTransform(X: Matrix): Tensor {
    return this.fit(X).transform(X);
  }

  toString(): string {
    return 'MaxAbsScaler()';
  }
}

/** Options of {@link Normalizer}. */
export interface NormalizerOptions {
  /** Which norm each row is divided by. Default 'l2'. */
  norm?: 'l1' | 'l2' | 'max';
}

/**
 * Normalizer: divide each sample (row) by its norm (`l2`: sqrt(sum x^2),
 * `l1`: sum |x|, `max`: max |x|). Stateless; rows of norm 0 pass through
 * unchanged (scikit-learn semantics). The original norms are not kept, so
 * there is no inverseTransform.
 */
export class Normalizer {
  readonly norm: 'l1' | 'l2' | 'max';

  constructor(opts: NormalizerOptions = {}) {
    checkOptions('Normalizer', opts, ['norm']);
    const n = opts.norm ?? 'l2';
    if (n !== 'l1' && n !== 'l2' && n !== 'max') throw new RangeError(`Normalizer: norm must be 'l1', 'l2' or 'max', got ${fmtValue(n)}`);
    this.norm = n;
  }

  /** Checks the data's shape; nothing to learn. */
  fit(X: Matrix): this {
    asMatrix(X, 'Normalizer');
    return this;
  }

  transform(X: Matrix): Tensor {
    const m = asMatrix(X, 'Normalizer');
    const norms = new Float64Array(m.rows);
    for (let r = 0, o = 0; r < m.rows; r++, o += m.cols) {
      let acc = 0;
      if (this.norm === 'l2') {
        // Scale by the row's max |x| first so squares cannot overflow.
        let mx = 0;
        for (let j = 0; j < m.cols; j++) mx = Math.max(mx, Math.abs(m.data[o + j]!));
        if (mx > 0) {
          for (let j = 0; j < m.cols; j++) {
            const v = m.data[o + j]! / mx;
            acc += v * v;
          }
          acc = mx * Math.sqrt(acc);
        }
      } else if (this.norm === 'l1') for (let j = 0; j < m.cols; j++) acc += Math.abs(m.data[o + j]!);
      else for (let j = 0; j < m.cols; j++) acc = Math.max(acc, Math.abs(m.data[o + j]!));
      norms[r] = acc === 0 ? 1 : acc;
    }
    const out = allocate(m.dtype, m.rows * m.cols);
    for (let r = 0, o = 0; r < m.rows; r++, o += m.cols) for (let j = 0; j < m.cols; j++) out[o + j] = m.data[o + j]! / norms[r]!;
    return new Tensor(out, [m.rows, m.cols]);
  }

  fitTransform(X: Matrix): Tensor {
    return this.fit(X).transform(X);
  }

  toString(): string {
    return `Normalizer(norm='${this.norm}')`;
  }
}
