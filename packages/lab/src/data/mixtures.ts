/**
 * Warped Gaussian mixtures: a synthetic 10-class tabular task for the lab's
 * MLP experiments, generated in code from a seed.
 *
 * Each class owns `modesPerClass` Gaussian blobs in a small latent space
 * (dimension `latent`). Latent points are bent by a fixed random smooth warp
 * `h <- h + warp * sin(W h + b)` (so the classes are not linearly separable),
 * lifted to `dim` features by a random matrix, then every feature gets its own
 * scale (10^U(-1, 1)) and offset: badly conditioned raw features, the
 * situation normalization layers are meant to help with. Blobs overlap, so
 * the best accuracy is well below 100% and training speed differs between
 * model variants.
 *
 * The task (centers, warp, projection, scales) depends on `taskSeed` only;
 * the sampled examples depend on `seed`, so train and test sets can be drawn
 * separately from the same distribution.
 */
import { Rng } from 'normkit';
import { checkData, type ClassificationData } from '../train-utils.js';

/** Options of {@link warpedMixture}. */
export interface MixtureOptions {
  /** Number of examples. */
  n: number;
  /** Seed of the sampled examples. */
  seed: number;
  /** Seed of the distribution itself (default 1234). */
  taskSeed?: number;
  /** Number of classes (default 10). */
  classes?: number;
  /** Number of features (default 32). */
  dim?: number;
  /** Latent dimension (default 6). */
  latent?: number;
  /** Blobs per class (default 3). */
  modesPerClass?: number;
  /** Standard deviation of the blob centers (default 2.2); blobs have unit spread. */
  separation?: number;
  /** Strength of the sine warp (default 1.5). */
  warp?: number;
  /** Per-feature noise added after the projection, relative to the feature's scale (default 0.3). */
  noise?: number;
  /** Give features scales 10^U(-r, r) and offsets (default true). */
  illConditioned?: boolean;
  /** r above: half-width of the log10 range of the feature scales (default 1: scales 0.1..10). */
  logScaleRange?: number;
  /** Offsets are offsetFactor * N(0, 1) * scale, i.e. this many feature spreads from 0 (default 2). */
  offsetFactor?: number;
}

/** The fixed parts of a mixture task, derived from `taskSeed`. */
interface MixtureTask {
  centers: Float64Array; // [classes * modes, latent]
  warpW: Float64Array; // [latent, latent]
  warpB: Float64Array; // [latent]
  proj: Float64Array; // [dim, latent]
  scale: Float64Array; // [dim]
  offset: Float64Array; // [dim]
}

function makeTask(classes: number, modes: number, latent: number, dim: number, sep: number, ill: boolean, taskSeed: number, logRange = 1, offsetFactor = 2): MixtureTask {
  const rng = new Rng(taskSeed);
  const centers = new Float64Array(classes * modes * latent);
  for (let i = 0; i < centers.length; i++) centers[i] = sep * rng.normal();
  const warpW = new Float64Array(latent * latent);
  for (let i = 0; i < warpW.length; i++) warpW[i] = rng.normal() / Math.sqrt(latent);
  const warpB = new Float64Array(latent);
  for (let i = 0; i < latent; i++) warpB[i] = 2 * Math.PI * rng.uniform();
  const proj = new Float64Array(dim * latent);
  for (let i = 0; i < proj.length; i++) proj[i] = rng.normal() / Math.sqrt(latent);
  const scale = new Float64Array(dim).fill(1);
  const offset = new Float64Array(dim);
  if (ill) {
    for (let j = 0; j < dim; j++) {
      scale[j] = 10 ** (logRange * (2 * rng.uniform() - 1));
      offset[j] = offsetFactor * rng.normal() * scale[j]!;
    }
  }
  return { centers, warpW, warpB, proj, scale, offset };
}

/**
 * Sample a warped Gaussian mixture: `x` `[n, dim]` float32, balanced labels
 * (example i has class i mod classes before shuffling), deterministic in
 * (`taskSeed`, `seed`).
 */
export function warpedMixture(o: MixtureOptions): ClassificationData {
  const classes = o.classes ?? 10;
  const dim = o.dim ?? 32;
  const latent = o.latent ?? 6;
  const modes = o.modesPerClass ?? 3;
  const sep = o.separation ?? 2.2;
  const warp = o.warp ?? 1.5;
  const noise = o.noise ?? 0.3;
  if (!(Number.isInteger(o.n) && o.n > 0)) throw new RangeError(`warpedMixture: n must be a positive integer, got ${o.n}`);
  if (!(Number.isInteger(classes) && classes >= 2)) throw new RangeError(`warpedMixture: classes must be an integer >= 2, got ${classes}`);
  const logRange = o.logScaleRange ?? 1;
  const offsetFactor = o.offsetFactor ?? 2;
  if (!(logRange >= 0 && Number.isFinite(logRange))) throw new RangeError(`warpedMixture: logScaleRange must be a finite number >= 0, got ${logRange}`);
  if (!Number.isFinite(offsetFactor)) throw new RangeError(`warpedMixture: offsetFactor must be finite, got ${offsetFactor}`);
  const task = makeTask(classes, modes, latent, dim, sep, o.illConditioned ?? true, o.taskSeed ?? 1234, logRange, offsetFactor);
  const rng = new Rng(o.seed);
  const x = new Float32Array(o.n * dim);
  const y = new Int32Array(o.n);
  const h = new Float64Array(latent);
  const g = new Float64Array(latent);
  const order = rng.permutation(o.n);
  for (let i = 0; i < o.n; i++) {
    const c = order[i]! % classes;
    y[i] = c;
    const m = rng.int(modes);
    const base = (c * modes + m) * latent;
    for (let k = 0; k < latent; k++) h[k] = task.centers[base + k]! + rng.normal();
    // smooth warp: h + warp * sin(W h + b)
    for (let k = 0; k < latent; k++) {
      let s = task.warpB[k]!;
      for (let l = 0; l < latent; l++) s += task.warpW[k * latent + l]! * h[l]!;
      g[k] = h[k]! + warp * Math.sin(s);
    }
    for (let j = 0; j < dim; j++) {
      let s = 0;
      for (let k = 0; k < latent; k++) s += task.proj[j * latent + k]! * g[k]!;
      s += noise * rng.normal();
      x[i * dim + j] = s * task.scale[j]! + task.offset[j]!;
    }
  }
  return checkData({ x, y, n: o.n, featureShape: [dim], numClasses: classes });
}
