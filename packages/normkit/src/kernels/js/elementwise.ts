/**
 * Element-wise arithmetic kernels for the shapes training uses most: two
 * operands of one shape, a per-feature vector over rows (a bias, a scale),
 * and column sums (a bias's gradient). kind: 0 add, 1 sub, 2 mul, 3 div.
 * The wasm backend runs them in f32x4 SIMD (assembly/elementwise.ts) for
 * float32 data with bit-identical results; these loops are the reference
 * and the float64 path.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, choice, flag, inout, input, int, num, output } from '../kernel.js';

/** The four arithmetic ops, by number. */
export type ArithKind = 0 | 1 | 2 | 3;

/** out[i] = a[i] op b[i] for i < out.length (out may be a or b). */
export const binarySame = declareKernel('binarySame', [
  choice('kind', [0, 1, 2, 3] as const), input('a', 'all'), input('b', 'all'), output('out', 'all'),
], function binarySameJs(kind: ArithKind, a: TypedArray, b: TypedArray, out: TypedArray): void {
  const n = out.length;
  if (kind === 0) for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  else if (kind === 1) for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
  else if (kind === 2) for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
});

/**
 * out[r*m + j] = a[r*m + j] op b[j] for r < rows, j < m; with bOnLeft,
 * b[j] op a[r*m + j]. (out may be a.)
 */
export const binaryRows = declareKernel('binaryRows', [
  choice('kind', [0, 1, 2, 3] as const), input('a', 'rows*m'), input('b', 'm'), output('out', 'rows*m'), int('rows'), int('m'), flag('bOnLeft'),
], function binaryRowsJs(
  kind: ArithKind, a: TypedArray, b: TypedArray, out: TypedArray, rows: number, m: number, bOnLeft: boolean,
): void {
  for (let r = 0, o = 0; r < rows; r++, o += m) {
    if (bOnLeft) {
      if (kind === 0) for (let j = 0; j < m; j++) out[o + j] = b[j]! + a[o + j]!;
      else if (kind === 1) for (let j = 0; j < m; j++) out[o + j] = b[j]! - a[o + j]!;
      else if (kind === 2) for (let j = 0; j < m; j++) out[o + j] = b[j]! * a[o + j]!;
      else for (let j = 0; j < m; j++) out[o + j] = b[j]! / a[o + j]!;
    } else if (kind === 0) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! + b[j]!;
    else if (kind === 1) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! - b[j]!;
    else if (kind === 2) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! * b[j]!;
    else for (let j = 0; j < m; j++) out[o + j] = a[o + j]! / b[j]!;
  }
});

/**
 * out[i] = a[i] op s (sOnLeft: s op a[i]) for i < out.length, s a float32
 * value when the data are float32 (out may be a). The wasm backend runs it
 * in f32x4 SIMD (one float32 operation per element, bit-identical).
 */
export const binaryScalar = declareKernel('binaryScalar', [
  choice('kind', [0, 1, 2, 3] as const), input('a', 'all'), num('s'), output('out', 'all'), flag('sOnLeft'),
], function binaryScalarJs(kind: ArithKind, a: TypedArray, s: number, out: TypedArray, sOnLeft: boolean): void {
  const n = out.length;
  if (sOnLeft) {
    if (kind === 0) for (let i = 0; i < n; i++) out[i] = s + a[i]!;
    else if (kind === 1) for (let i = 0; i < n; i++) out[i] = s - a[i]!;
    else if (kind === 2) for (let i = 0; i < n; i++) out[i] = s * a[i]!;
    else for (let i = 0; i < n; i++) out[i] = s / a[i]!;
  } else if (kind === 0) for (let i = 0; i < n; i++) out[i] = a[i]! + s;
  else if (kind === 1) for (let i = 0; i < n; i++) out[i] = a[i]! - s;
  else if (kind === 2) for (let i = 0; i < n; i++) out[i] = a[i]! * s;
  else for (let i = 0; i < n; i++) out[i] = a[i]! / s;
});

/** acc[j] += sum over r < rows of x[r*m + j], each column in row order, in float64. */
export const colSum = declareKernel('colSum', [
  input('x', 'rows*m'), inout('acc', 'm', { elem: 'f64' }), int('rows'), int('m'),
], function colSumJs(x: TypedArray, acc: Float64Array, rows: number, m: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += m) for (let j = 0; j < m; j++) acc[j] += x[o + j]!;
});
