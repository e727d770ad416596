/**
 * Weight normalization as a parametrization of another module's weight
 * (PyTorch's torch.nn.utils.weight_norm names).
 */
import type { Module } from '../module.js';
import { weightNormCompose } from '../../functional/weight-norm.js';
import { Tensor } from '../../tensor/tensor.js';
import { fmtShape } from '../../tensor/shape.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { mul, sqrt } from '../../functional/elementwise.js';
import { sum } from '../../functional/reduce.js';
import { checkOptions } from '../../options.js';

/** weightNorm options (defaults are PyTorch's). */
export interface WeightNormOptions {
  /** The parameter to reparametrize (default 'weight'). */
  name?: string;
  /**
   * The dim that keeps one magnitude per slice (default 0: one `g` per
   * output unit). `null` or `-1` normalize the whole tensor with a single
   * scalar `g` (PyTorch's convention: `dim=-1` means "whole tensor" in
   * torch.nn.utils.weight_norm, so its checkpoints load). Other negative
   * values count from the end.
   */
  dim?: number | null;
}

interface WeightNormInfo {
  /** Axes the norm is taken over. */
  axes: number[];
  /** The kept dim, or null for the whole tensor. */
  dim: number | null;
}

/** What weightNorm applied to each module, by parameter name. */
const applied = new WeakMap<Module, Map<string, WeightNormInfo>>();

/**
 * Weight normalization (Salimans & Kingma 2016, "Weight Normalization: A
 * Simple Reparameterization to Accelerate Training of Deep Neural Networks",
 * arXiv:1602.07868): the parameter `name` becomes
 *
 *   w = g * v / ||v||
 *
 * separating the magnitude `g` from the direction `v`. The norm is taken
 * over every dim except `dim` (one `g` per slice along `dim`), or over the
 * whole tensor when `dim` is null. Registers parameters `${name}_g` (shape of
 * w with size 1 everywhere but `dim`; `[]` for dim=null) and `${name}_v`
 * (w's shape), initialised so that w is unchanged, and removes `name`; the
 * module's forward reads the composed weight through `module.param(name)`,
 * so g and v receive gradients.
 *
 * As PyTorch, `dim=-1` (and `null`) mean the whole tensor; other negative
 * dims count from the end. `loadStateDict` also accepts PyTorch's
 * parametrize names (`parametrizations.weight.original0` for g,
 * `original1` for v), and `stateDict({ names: 'parametrize' })` writes them.
 *
 * @returns the module
 */
export function weightNorm<M extends Module>(module: M, opts: WeightNormOptions = {}): M {
  checkOptions('weightNorm', opts, ['name', 'dim']);
  const name = opts.name ?? 'weight';
  const dimOpt = opts.dim === undefined ? 0 : opts.dim;
  if (module.isParametrized(name)) throw new Error(`weightNorm: parameter '${name}' of ${module.typeName} is already parametrized`);
  const w = module.getParameter(name);
  if (!w) throw new Error(`weightNorm: ${module.typeName} has no parameter '${name}'`);
  const nd = w.ndim;
  let dim: number | null = null;
  // PyTorch: weight_norm(dim=-1) and dim=None both normalize over the whole tensor
  if (dimOpt !== null && dimOpt !== -1) {
    if (!Number.isInteger(dimOpt) || dimOpt < -nd || dimOpt >= nd) {
      throw new RangeError(`weightNorm: dim ${dimOpt} is out of range for parameter '${name}' of shape ${fmtShape(w.shape)} (expected null or an integer in [${-nd}, ${nd - 1}])`);
    }
    dim = dimOpt < 0 ? dimOpt + nd : dimOpt;
  }
  const axes = Array.from({ length: nd }, (_, i) => i).filter((i) => i !== dim);
  const v = new Tensor(w.data.slice(), w.shape);
  const g = noGrad(() => {
    const n = sqrt(sum(mul(v, v), axes, true));
    return dim === null ? new Tensor(n.data.slice(), []) : new Tensor(n.data.slice(), n.shape);
  });
  const gName = `${name}_g`;
  const vName = `${name}_v`;
  module.registerParameter(gName, g);
  module.registerParameter(vName, v);
  module.registerParametrization(name, (m) => weightNormCompose(m.getParameter(gName)!, m.getParameter(vName)!, dim));
  let byName = applied.get(module);
  if (!byName) applied.set(module, (byName = new Map()));
  byName.set(name, { axes, dim });
  return module;
}

/**
 * Undo `weightNorm`: `name` becomes a plain parameter again holding the
 * current `g * v / ||v||`; `${name}_g` and `${name}_v` are removed.
 * Throws when weight norm was not applied to `name`.
 */
export function removeWeightNorm<M extends Module>(module: M, name = 'weight'): M {
  const byName = applied.get(module);
  if (!byName || !byName.has(name)) throw new Error(`removeWeightNorm: weight_norm of '${name}' not found in ${module.typeName}`);
  const w = noGrad(() => module.param(name)!);
  module.removeParametrization(name);
  module.deleteParameter(`${name}_g`);
  module.deleteParameter(`${name}_v`);
  module.registerParameter(name, new Tensor(w.data.slice(), w.shape));
  byName.delete(name);
  return module;
}

/** Options of `dataDependentInit`. */
export interface DataDependentInitOptions {
  /** The weight-normalized parameter (default 'weight'). */
  name?: string;
  /** Name of the bias parameter to set (default 'bias'; skipped when the module has none). */
  biasName?: string;
  /**
   * Axis of the module's output that holds the features (one per `g`).
   * Default: the last axis when its size matches the number of `g` values,
   * else axis 1 (channels of a convolution).
   */
  featureAxis?: number;
}

/**
 * Data-dependent initialization of a weight-normalized layer (Salimans &
 * Kingma 2016, section 3): run a first batch with g = 1 and bias = 0, so the
 * pre-activations are t = v.x / ||v||; then set
 *
 *   g = 1 / std(t),   bias = -mean(t) / std(t)
 *
 * per feature (biased std over every other axis), so that the layer's
 * outputs on that batch have zero mean and unit variance per feature.
 * Needs `weightNorm(module, { dim: 0 })` (or dim=null, one feature).
 *
 * @returns the per-feature mean and std of the pre-activations measured
 */
export function dataDependentInit(
  module: Module & { forward(x: Tensor): Tensor }, inputBatch: Tensor, opts: DataDependentInitOptions = {},
): { mean: Float64Array; std: Float64Array } {
  checkOptions('dataDependentInit', opts, ['name', 'biasName', 'featureAxis']);
  const name = opts.name ?? 'weight';
  const info = applied.get(module)?.get(name);
  if (!info) throw new Error(`dataDependentInit: apply weightNorm to '${name}' of ${module.typeName} first`);
  const g = module.getParameter(`${name}_g`)!;
  const bias = module.getParameter(opts.biasName ?? 'bias');
  const F = g.size;
  return noGrad(() => {
    g.data.fill(1);
    bias?.data.fill(0);
    const y = module.forward(inputBatch);
    let axis = opts.featureAxis ?? (y.shape[y.ndim - 1] === F ? y.ndim - 1 : 1);
    if (axis < 0) axis += y.ndim;
    if (y.shape[axis] !== F) {
      throw new RangeError(`dataDependentInit: output shape ${fmtShape(y.shape)} has no axis of size ${F} (the number of ${name}_g values) at axis ${axis}; pass featureAxis`);
    }
    if (bias && bias.size !== F) throw new RangeError(`dataDependentInit: bias of shape ${fmtShape(bias.shape)} does not match ${F} features`);
    const inner = y.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const outer = y.size / (F * inner);
    const count = outer * inner;
    const mean = new Float64Array(F);
    const std = new Float64Array(F);
    const d = y.data;
    for (let f = 0; f < F; f++) {
      // two passes in float64: mean, then the biased variance around it
      let s = 0;
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) s += d[(o * F + f) * inner + i]!;
      const m = s / count;
      let v = 0;
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) v += (d[(o * F + f) * inner + i]! - m) ** 2;
      const sd = Math.sqrt(v / count + 1e-12);
      mean[f] = m;
      std[f] = sd;
      g.data[f] = 1 / sd;
      if (bias) bias.data[f] = -m / sd;
    }
    return { mean, std };
  });
}
