/**
 * Spectral normalization as a parametrization of another module's weight
 * (PyTorch's torch.nn.utils.spectral_norm names and semantics).
 */
import type { Module } from '../module.js';
import { Tensor } from '../../tensor/tensor.js';
import { fmtShape } from '../../tensor/shape.js';
import { type Rng, defaultRng } from '../../tensor/random.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { mul, div } from '../../functional/elementwise.js';
import { sum } from '../../functional/reduce.js';
import { reshape, permute } from '../../functional/shape-ops.js';
import { matmul } from '../../functional/matmul.js';
import { checkOptions } from '../../options.js';

/** spectralNorm options (defaults are PyTorch's). */
export interface SpectralNormOptions {
  /** The parameter to normalize (default 'weight'). */
  name?: string;
  /** Power iterations per training-mode read of the weight (default 1; must be positive). */
  nPowerIterations?: number;
  /** Lower bound of the norms when normalizing u and v (default 1e-12). */
  eps?: number;
  /** The dim of the weight that becomes the rows of the matrix (default 0, output units). */
  dim?: number;
  /** Generator for the initial u and v (default: the global one). */
  rng?: Rng;
}

/** W as the matrix [W.shape[dim], -1] (differentiable). */
function weightMatrix(W: Tensor, dim: number): Tensor {
  const h = W.shape[dim]!;
  if (dim === 0) return reshape(W, [h, -1]);
  const perm = [dim, ...W.shape.map((_, i) => i).filter((i) => i !== dim)];
  return reshape(permute(W, perm), [h, -1]);
}

/** x / max(||x||_2, eps) in place. */
function normalizeInPlace(x: Float64Array, eps: number): void {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  const r = 1 / Math.max(Math.sqrt(s), eps);
  for (let i = 0; i < x.length; i++) x[i]! *= r;
}

/**
 * `iters` power iterations on the matrix M [h, w] (row-major), in float64:
 *   v = normalize(M^T u),  u = normalize(M v)
 * u and v are read from and written back to their tensors.
 */
function powerIterate(M: ArrayLike<number>, h: number, w: number, u: Tensor, v: Tensor, iters: number, eps: number): void {
  const uu = Float64Array.from(u.data);
  const vv = Float64Array.from(v.data);
  for (let it = 0; it < iters; it++) {
    vv.fill(0);
    for (let i = 0; i < h; i++) {
      const ui = uu[i]!;
      for (let j = 0; j < w; j++) vv[j] += M[i * w + j]! * ui;
    }
    normalizeInPlace(vv, eps);
    for (let i = 0; i < h; i++) {
      let s = 0;
      for (let j = 0; j < w; j++) s += M[i * w + j]! * vv[j]!;
      uu[i] = s;
    }
    normalizeInPlace(uu, eps);
  }
  u.data.set(uu);
  v.data.set(vv);
}

/**
 * Spectral normalization (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral
 * Normalization for Generative Adversarial Networks", arXiv:1802.05957):
 * the parameter `name` becomes
 *
 *   W_SN = W / sigma(W),   sigma(W) = u . (W v)
 *
 * where u, v estimate the first singular vectors of W reshaped to
 * `[W.shape[dim], -1]` by power iteration. As in PyTorch's
 * `torch.nn.utils.spectral_norm`: W is kept as parameter `${name}_orig`, u and
 * v as buffers `${name}_u` and `${name}_v`, drawn from a normal distribution
 * and normalized (then refined by 15 power iterations at construction, as
 * PyTorch's newer parametrization does). Each read of the weight in training
 * mode runs `nPowerIterations` iterations and updates u, v; evaluation mode
 * uses the stored u, v unchanged. In backward u and v are constants, the
 * gradient flows to W through both W and sigma(W).
 *
 * Note: the iteration runs at every training-mode read of `module.param(name)`
 * (a layer's forward reads it once, like PyTorch's forward pre-hook; reading
 * `module.weight` yourself in training mode also advances it).
 *
 * @returns the module
 */
export function spectralNorm<M extends Module>(module: M, opts: SpectralNormOptions = {}): M {
  checkOptions('spectralNorm', opts, ['name', 'nPowerIterations', 'eps', 'dim', 'rng']);
  const name = opts.name ?? 'weight';
  const nIter = opts.nPowerIterations ?? 1;
  const eps = opts.eps ?? 1e-12;
  if (!Number.isInteger(nIter) || nIter <= 0) {
    throw new RangeError(`spectralNorm: expected nPowerIterations to be a positive integer, got ${nIter}`);
  }
  if (module.isParametrized(name)) throw new Error(`spectralNorm: parameter '${name}' of ${module.typeName} is already parametrized`);
  const W = module.getParameter(name);
  if (!W) throw new Error(`spectralNorm: ${module.typeName} has no parameter '${name}'`);
  const nd = W.ndim;
  const dimOpt = opts.dim ?? 0;
  if (!Number.isInteger(dimOpt) || dimOpt < -nd || dimOpt >= nd) {
    throw new RangeError(`spectralNorm: dim ${dimOpt} is out of range for parameter '${name}' of shape ${fmtShape(W.shape)} (expected an integer in [${-nd}, ${nd - 1}])`);
  }
  const dim = dimOpt < 0 ? dimOpt + nd : dimOpt;
  const h = W.shape[dim]!;
  const w = W.size / h;
  const rng = opts.rng ?? defaultRng();
  const u = new Tensor(W.dtype === 'float64' ? new Float64Array(h) : new Float32Array(h), [h]);
  const v = new Tensor(W.dtype === 'float64' ? new Float64Array(w) : new Float32Array(w), [w]);
  const init = (t: Tensor) => {
    const a = new Float64Array(t.size);
    for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    normalizeInPlace(a, eps);
    t.data.set(a);
  };
  init(u);
  init(v);
  const matrixData = (Wt: Tensor) => (dim === 0 ? Wt.data : noGrad(() => weightMatrix(Wt, dim)).data);
  powerIterate(matrixData(W), h, w, u, v, 15, eps);
  const origName = `${name}_orig`;
  const uName = `${name}_u`;
  const vName = `${name}_v`;
  module.registerParameter(origName, W);
  module.registerBuffer(uName, u);
  module.registerBuffer(vName, v);
  module.registerParametrization(name, (m) => {
    const Wo = m.getParameter(origName)!;
    const ub = m.getBuffer(uName)!;
    const vb = m.getBuffer(vName)!;
    if (m.training) powerIterate(matrixData(Wo), h, w, ub, vb, nIter, eps);
    // u and v are constants of the graph: copies, so later iterations cannot change a pending backward
    const uc = new Tensor(ub.data.slice(), [1, h]);
    const vc = new Tensor(vb.data.slice(), [w, 1]);
    const sigma = sum(mul(uc, reshape(matmul(weightMatrix(Wo, dim), vc), [1, h])));
    return div(Wo, sigma);
  });
  return module;
}

/**
 * Undo `spectralNorm`: `name` becomes a plain parameter holding the current
 * W / sigma(W) (computed with the stored u, v, without a power iteration, as
 * PyTorch's remove_spectral_norm does); `${name}_orig`, `${name}_u` and
 * `${name}_v` are removed. Throws when spectral norm was not applied to `name`.
 */
export function removeSpectralNorm<M extends Module>(module: M, name = 'weight'): M {
  if (!module.isParametrized(name) || !module.getParameter(`${name}_orig`)) {
    throw new Error(`removeSpectralNorm: spectral_norm of '${name}' not found in ${module.typeName}`);
  }
  const wasTraining = module.training;
  module.training = false; // eval read: no power iteration
  const w = noGrad(() => module.param(name)!);
  module.training = wasTraining;
  module.removeParametrization(name);
  module.deleteParameter(`${name}_orig`);
  module.deleteBuffer(`${name}_u`);
  module.deleteBuffer(`${name}_v`);
  module.registerParameter(name, new Tensor(w.data.slice(), w.shape));
  return module;
}
