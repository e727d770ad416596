/**
 * Two probes of "where does LayerNorm's benefit come from?" (Xu et al. 2019,
 * "Understanding and Improving Layer Normalization", NeurIPS):
 *
 * - `detachNorm`: LayerNorm's forward, y = (x - mu) / sqrt(var + eps) over the
 *   last axis, but mu and sigma are treated as constants in backward, so
 *   dx = dy / sqrt(var + eps): the re-centering and re-scaling of the
 *   *gradient* that LayerNorm's backward performs is removed.
 * - `adaNorm`: z = C (1 - k y) * y with y the LayerNorm output; the factor
 *   (1 - k y) is a constant in backward (the paper detaches it so that the
 *   gradient stays bounded), while the gradient through mu and sigma is kept.
 *   The paper uses C = 1 (our default), k = 0.1.
 *
 * Both are recorded primitives (entries `detachNorm` / `adaNorm` in the op
 * table); statistics are accumulated in float64 with a two-pass variance and
 * kept in Float64Arrays.
 *
 * Shapes: x [..., D] -> out [..., D]; statistics per row of D.
 */
import { Tensor } from '../tensor/tensor.js';
import { allocate, type TypedArray } from '../tensor/dtype.js';
import { record } from '../autograd/record.js';
import { checkOptions } from '../options.js';

function checkInput(fn: string, x: Tensor, eps: number): number {
  if (x.ndim < 1) throw new RangeError(`${fn}: expected input with at least 1 dim [*, D], got a scalar`);
  const d = x.shape[x.ndim - 1]!;
  if (d < 1) throw new RangeError(`${fn}: expected a non-empty last dim, got shape [${x.shape.join(', ')}]`);
  if (!(eps >= 0)) throw new RangeError(`${fn}: eps must be >= 0, got ${eps}`);
  return d;
}

/** Per-row mean and 1/sqrt(var + eps) over rows of length d (two passes, float64). */
function rowStats(x: TypedArray, d: number, eps: number): { mean: Float64Array; rstd: Float64Array } {
  const rows = x.length / d;
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j]!;
    const m = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const c = x[o + j]! - m;
      v += c * c;
    }
    mean[r] = m;
    rstd[r] = 1 / Math.sqrt(v / d + eps);
  }
  return { mean, rstd };
}

/**
 * DetachNorm (Xu et al. 2019): y = (x - mu) / sqrt(var + eps) over the last
 * axis (biased variance), with mu and sigma detached: the backward is
 * dx = dy * rstd, i.e. LayerNorm's backward without its mean and variance
 * terms. Xu et al. find it trains no better than no normalization, showing
 * that LayerNorm's benefit comes from those gradient terms.
 */
export function detachNorm(x: Tensor, eps = 1e-5): Tensor {
  const d = checkInput('detachNorm', x, eps);
  const { mean, rstd } = rowStats(x.data, d, eps);
  const out = allocate(x.dtype, x.size);
  const xd = x.data;
  for (let r = 0; r < rstd.length; r++) {
    const m = mean[r]!;
    const s = rstd[r]!;
    for (let j = r * d, e = j + d; j < e; j++) out[j] = (xd[j]! - m) * s;
  }
  return record(new Tensor(out, x.shape), 'detachNorm', [x], { rstd });
}

/** Backward of `detachNorm`: dx = dy * rstd (per row). */
export function detachNormBackward(dout: Tensor, rstd: Float64Array): Tensor {
  const d = dout.shape[dout.ndim - 1]!;
  const g = allocate(dout.dtype, dout.size);
  const dd = dout.data;
  for (let r = 0; r < rstd.length; r++) {
    const s = rstd[r]!;
    for (let j = r * d, e = j + d; j < e; j++) g[j] = dd[j]! * s;
  }
  return new Tensor(g, dout.shape);
}

/** Options of `adaNorm`: z = c (1 - k y) * y. */
export interface AdaNormOptions {
  /** Scale C (paper: 1 in the Transformer experiments). Default 1. */
  c?: number;
  /** Curvature k (paper: 0.1). Default 0.1. */
  k?: number;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
}

/**
 * AdaNorm (Xu et al. 2019): z = C (1 - k y) * y, y = (x - mu) / sqrt(var + eps)
 * over the last axis, with the factor (1 - k y) treated as a constant in
 * backward. So dz/dy = C (1 - k y), followed by LayerNorm's full backward
 * dx = rstd (g - mean(g) - y mean(g y)) with g = dz * C (1 - k y). It replaces
 * LayerNorm's gain and bias, which the paper finds over-fit.
 */
export function adaNorm(x: Tensor, opts: AdaNormOptions = {}): Tensor {
  checkOptions('adaNorm', opts, ['c', 'k', 'eps']);
  const c = opts.c ?? 1;
  const k = opts.k ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const d = checkInput('adaNorm', x, eps);
  if (!Number.isFinite(c) || !Number.isFinite(k)) throw new RangeError(`adaNorm: c and k must be finite, got c=${c}, k=${k}`);
  const { mean, rstd } = rowStats(x.data, d, eps);
  const yhat = new Float64Array(x.size);
  const out = allocate(x.dtype, x.size);
  const xd = x.data;
  for (let r = 0; r < rstd.length; r++) {
    const m = mean[r]!;
    const s = rstd[r]!;
    for (let j = r * d, e = j + d; j < e; j++) {
      const y = (xd[j]! - m) * s;
      yhat[j] = y;
      out[j] = c * (1 - k * y) * y;
    }
  }
  return record(new Tensor(out, x.shape), 'adaNorm', [x], { yhat, rstd, c, k });
}

/** Backward of `adaNorm` (see `adaNorm`). */
export function adaNormBackward(dout: Tensor, saved: { yhat: Float64Array; rstd: Float64Array; c: number; k: number }): Tensor {
  const { yhat, rstd, c, k } = saved;
  const d = dout.shape[dout.ndim - 1]!;
  const g = allocate(dout.dtype, dout.size);
  const dd = dout.data;
  const gr = new Float64Array(d);
  for (let r = 0; r < rstd.length; r++) {
    const o = r * d;
    let sg = 0;
    let sgy = 0;
    for (let j = 0; j < d; j++) {
      const y = yhat[o + j]!;
      const v = dd[o + j]! * c * (1 - k * y);
      gr[j] = v;
      sg += v;
      sgy += v * y;
    }
    const mg = sg / d;
    const mgy = sgy / d;
    const s = rstd[r]!;
    for (let j = 0; j < d; j++) g[o + j] = s * (gr[j]! - mg - yhat[o + j]! * mgy);
  }
  return new Tensor(g, dout.shape);
}
