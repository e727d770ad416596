/**
 * The race's data, all generated from a seeded `nk.Rng` (nothing downloaded):
 *
 * - `spiral`: 3 interleaved spiral arms in 2-D (class = arm), the toy of
 *   TensorFlow Playground and CS231n; fresh points every batch.
 * - `rings`: 3 concentric noisy circles (class = ring).
 * - `digits`: real MNIST digits, 14x14, from the compact subset the build
 *   emits (digits.bin, see ./digits.ts); 160 train / 40 test per class.
 * - `copy`: the lab's causal copy task (read n tokens and a separator, then
 *   reproduce them; packages/lab/src/data/sequences.ts `causalCopyBatch`).
 *
 * Shapes: points `[B, 2]`, digits `[B, 196]` (MLP) or `[B, 1, 14, 14]` (CNN),
 * tokens `[B, 2n]` ids with targets shifted by one.
 */
import type { Rng } from 'normkit';
import type { DigitSet } from './digits.js';

/** A labelled batch: features row-major `[n, ...featureShape]` and integer classes. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Classes of the 2-D tasks. */
export const POINT_CLASSES = 3;

/**
 * `n` points of the 3-arm spiral: class k, t ~ U(0, 1), radius t, angle
 * 2 pi k / 3 + 4 t + 0.2 t N(0, 1) (the noise grows outwards).
 */
export function spiralBatch(rng: Rng, n: number): Batch {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(POINT_CLASSES);
    const t = rng.uniform();
    const a = (2 * Math.PI * k) / POINT_CLASSES + 4 * t + 0.2 * t * rng.normal();
    x[2 * i] = t * Math.cos(a);
    x[2 * i + 1] = t * Math.sin(a);
    y[i] = k;
  }
  return { x, y, n };
}

/** `n` points of 3 concentric circles of radii 0.3, 0.65, 1.0 with N(0, 0.07) radial noise; class = circle. */
export function ringsBatch(rng: Rng, n: number): Batch {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(POINT_CLASSES);
    const r = 0.3 + 0.35 * k + 0.07 * rng.normal();
    const a = 2 * Math.PI * rng.uniform();
    x[2 * i] = r * Math.cos(a);
    x[2 * i + 1] = r * Math.sin(a);
    y[i] = k;
  }
  return { x, y, n };
}

/** A random batch of `n` digits from `set`'s training part (with replacement). */
export function digitsBatch(rng: Rng, set: DigitSet, n: number): Batch {
  const P = set.side * set.side;
  const x = new Float32Array(n * P);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = set.train[rng.int(set.train.length)]!;
    for (let p = 0; p < P; p++) x[i * P + p] = set.pixels[j * P + p]! / 255;
    y[i] = set.labels[j]!;
  }
  return { x, y, n };
}

/** The test digits of `set`, in order. */
export function digitsTest(set: DigitSet): Batch {
  const P = set.side * set.side;
  const n = set.test.length;
  const x = new Float32Array(n * P);
  const y = new Int32Array(n);
  set.test.forEach((j, i) => {
    for (let p = 0; p < P; p++) x[i * P + p] = set.pixels[j * P + p]! / 255;
    y[i] = set.labels[j]!;
  });
  return { x, y, n };
}

/** Sizes of the copy task: n tokens of `vocab` symbols (sequence length 2n). */
export const COPY = { nTokens: 6, vocab: 8 } as const;

/** A batch of the causal copy task: inputs and targets `[batch, 2n]`, only positions n..2n-1 scored. */
export interface TokenBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  length: number;
}

/**
 * The lab's `causalCopyBatch`: sequence `[x_1..x_n, SEP, x_1..x_n]` with SEP = vocab;
 * inputs its first 2n tokens, targets the same shifted by one.
 */
export function copyBatch(rng: Rng, batch: number, nTokens: number = COPY.nTokens, vocab: number = COPY.vocab): TokenBatch {
  const length = 2 * nTokens;
  const inputs = new Int32Array(batch * length);
  const targets = new Int32Array(batch * length);
  const seq = new Int32Array(length + 1);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < nTokens; i++) seq[i] = seq[nTokens + 1 + i] = rng.int(vocab);
    seq[nTokens] = vocab;
    inputs.set(seq.subarray(0, length), b * length);
    targets.set(seq.subarray(1), b * length);
  }
  return { inputs, targets, batch, length };
}
