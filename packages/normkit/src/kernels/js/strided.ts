/**
 * Strided copy: the data movement behind permute/transpose and expand
 * (src/functional/shape-ops.ts `gatherStrided`). `src` is read through up
 * to six dims of (shape s0..s5, strides t0..t5 in elements, row-major,
 * shape padded with leading 1s) into contiguous `out`:
 *
 *   out[((((i0*s1 + i1)*s2 + i2)*s3 + i3)*s4 + i4)*s5 + i5] = src[i0*t0 + ... + i5*t5]
 *
 * A stride of 0 broadcasts (expand). The wasm backend runs it in SIMD
 * (assembly/strided.ts: v128 block copies for a unit innermost stride,
 * 4x4 block transposes when the last two dims are swapped, splats for a
 * broadcast innermost dim); a copy changes no value, so both backends agree
 * bit for bit. This loop is the reference and the float64 path.
 */
import type { TypedArray } from '../../tensor/dtype.js';
import { declareKernel, inout, input, int, output } from '../kernel.js';

/** The most dims the kernel takes (callers coalesce and pad to this). */
export const STRIDED_MAX_DIMS = 6;

/** out = src read through shape s0..s5 and strides t0..t5 (elements). */
export const stridedCopy = declareKernel('stridedCopy', [
  input('src', 'all'), output('out', 's0*s1*s2*s3*s4*s5'),
  int('s0'), int('s1'), int('s2'), int('s3'), int('s4'), int('s5'),
  int('t0'), int('t1'), int('t2'), int('t3'), int('t4'), int('t5'),
], function stridedCopyJs(
  src: TypedArray, out: TypedArray,
  s0: number, s1: number, s2: number, s3: number, s4: number, s5: number,
  t0: number, t1: number, t2: number, t3: number, t4: number, t5: number,
): void {
  let o = 0;
  for (let i0 = 0, p0 = 0; i0 < s0; i0++, p0 += t0) {
    for (let i1 = 0, p1 = p0; i1 < s1; i1++, p1 += t1) {
      for (let i2 = 0, p2 = p1; i2 < s2; i2++, p2 += t2) {
        for (let i3 = 0, p3 = p2; i3 < s3; i3++, p3 += t3) {
          for (let i4 = 0, p4 = p3; i4 < s4; i4++, p4 += t4) {
            if (t5 === 1) for (let j = 0; j < s5; j++) out[o++] = src[p4 + j]!;
            else for (let j = 0, p = p4; j < s5; j++, p += t5) out[o++] = src[p]!;
          }
        }
      }
    }
  }
});

/**
 * Rows of `cols` elements from `src` (rows `srcStride` apart) to `dst` (rows
 * `dstStride` apart), leaving the rest of `dst` as it is: the scatter half
 * of slicing (the gradient of `slice` writes its rows into a zeroed
 * gradient) and of joining (`concat`). Strides >= cols; pass subarrays for
 * offsets. The wasm backend copies each row in v128 blocks
 * (assembly/strided.ts); only bits move, so both agree bit for bit.
 */
export const copyRows = declareKernel('copyRows', [
  input('src', 'all'), inout('dst', 'all'), int('rows'), int('cols'), int('srcStride'), int('dstStride'),
], function copyRowsJs(src: TypedArray, dst: TypedArray, rows: number, cols: number, srcStride: number, dstStride: number): void {
  for (let r = 0; r < rows; r++) {
    const a = r * srcStride, b = r * dstStride;
    for (let j = 0; j < cols; j++) dst[b + j] = src[a + j]!;
  }
});
