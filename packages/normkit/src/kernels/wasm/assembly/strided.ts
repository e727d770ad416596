/**
 * Strided copy of float32 data (permute/transpose, expand): the WebAssembly
 * twin of src/kernels/js/strided.ts. `src` is read through six dims of shape
 * s0..s5 and strides t0..t5 (elements) into contiguous `out`. The work is
 * split into planes [s4, s5], one per (i0, i1, i2, i3) = row r of
 * [0, s0*s1*s2*s3), rows [r0, r1) per call (threads take row ranges). Per
 * plane, by the strides of its two dims:
 * - t5 == 1: each line is a contiguous run, copied in v128 blocks;
 * - t5 == 0: each line is one value, broadcast with a splat (expand);
 * - t4 == 1 (the last two dims swapped, a transpose): 4x4 blocks read as
 *   four v128 columns and transposed with i32x4.shuffle;
 * - otherwise a scalar loop.
 * Only bits move, so the result is the TypeScript loop's bit for bit.
 */

// to[j] = from[j], j < n
@inline export function copyRun(from: usize, to: usize, n: i32): void {
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = <usize>j << 2;
    const a = v128.load(from + o), b = v128.load(from + o + 16);
    const c = v128.load(from + o + 32), d = v128.load(from + o + 48);
    v128.store(to + o, a);
    v128.store(to + o + 16, b);
    v128.store(to + o + 32, c);
    v128.store(to + o + 48, d);
  }
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(to + o, v128.load(from + o));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<u32>(to + o, load<u32>(from + o));
  }
}

// rows of `cols` from src (srcStride apart) to out (outStride apart), strides in elements
@inline function copyRuns(src: usize, out: usize, rows: i32, cols: i32, srcStride: i32, outStride: i32): void {
  for (let r = 0; r < rows; r++) copyRun(src + (<usize>r * <usize>srcStride << 2), out + (<usize>r * <usize>outStride << 2), cols);
}

// out[i4*s5 + j] = src[base + i4*t4], j < s5
@inline function splatRuns(src: usize, out: usize, s4: i32, s5: i32, t4: i32): void {
  for (let i4 = 0; i4 < s4; i4++) {
    const v = load<u32>(src + (<usize>(i4 * t4) << 2));
    const w = i32x4.splat(v);
    const to = out + (<usize>(i4 * s5) << 2);
    let j = 0;
    for (; j + 4 <= s5; j += 4) v128.store(to + (<usize>j << 2), w);
    for (; j < s5; j++) store<u32>(to + (<usize>j << 2), v);
  }
}

// out[i4*s5 + i5] = src[base + i4 + i5*t5]: the plane of src transposed
@inline function transposePlane(src: usize, out: usize, s4: i32, s5: i32, t5: i32): void {
  const col = <usize>t5 << 2; // bytes between two columns of src (i5 -> i5 + 1)
  const row = <usize>s5 << 2; // bytes between two rows of out (i4 -> i4 + 1)
  let i4 = 0;
  for (; i4 + 4 <= s4; i4 += 4) {
    const from = src + (<usize>i4 << 2);
    const to = out + <usize>i4 * row;
    let i5 = 0;
    for (; i5 + 4 <= s5; i5 += 4) {
      const p = from + <usize>i5 * col;
      // column k: src[i4..i4+3] at i5 + k
      const v0 = v128.load(p), v1 = v128.load(p + col);
      const v2 = v128.load(p + 2 * col), v3 = v128.load(p + 3 * col);
      const a = i32x4.shuffle(v0, v1, 0, 4, 1, 5); // v0[0] v1[0] v0[1] v1[1]
      const b = i32x4.shuffle(v0, v1, 2, 6, 3, 7); // v0[2] v1[2] v0[3] v1[3]
      const c = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
      const d = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
      const q = to + (<usize>i5 << 2);
      v128.store(q, i32x4.shuffle(a, c, 0, 1, 4, 5)); // row i4:     v0[0] v1[0] v2[0] v3[0]
      v128.store(q + row, i32x4.shuffle(a, c, 2, 3, 6, 7));
      v128.store(q + 2 * row, i32x4.shuffle(b, d, 0, 1, 4, 5));
      v128.store(q + 3 * row, i32x4.shuffle(b, d, 2, 3, 6, 7));
    }
    // the last s5 % 4 columns of these four rows
    for (; i5 < s5; i5++) {
      const p = from + <usize>i5 * col;
      const q = to + (<usize>i5 << 2);
      store<u32>(q, load<u32>(p));
      store<u32>(q + row, load<u32>(p + 4));
      store<u32>(q + 2 * row, load<u32>(p + 8));
      store<u32>(q + 3 * row, load<u32>(p + 12));
    }
  }
  // the last s4 % 4 rows
  for (; i4 < s4; i4++) {
    const from = src + (<usize>i4 << 2);
    const to = out + <usize>i4 * row;
    for (let i5 = 0; i5 < s5; i5++) store<u32>(to + (<usize>i5 << 2), load<u32>(from + <usize>i5 * col));
  }
}

// the general plane: out[i4*s5 + i5] = src[base + i4*t4 + i5*t5]
@inline function scalarPlane(src: usize, out: usize, s4: i32, s5: i32, t4: i32, t5: i32): void {
  const col = <usize>t5 << 2;
  for (let i4 = 0; i4 < s4; i4++) {
    let p = src + (<usize>(i4 * t4) << 2);
    const to = out + (<usize>(i4 * s5) << 2);
    for (let i5 = 0; i5 < s5; i5++, p += col) store<u32>(to + (<usize>i5 << 2), load<u32>(p));
  }
}

/**
 * Whether stridedCopy walks blocks [s3, s4, s5] with i4 outside i3 (rows are
 * then the s0*s1*s2 blocks, else the s0*s1*s2*s3 planes): for contiguous
 * runs (t5 == 1) whose dim 3 is closer together in src than dim 4, as in
 * attention's [B,T,H,dh] -> [B,H,T,dh], so that src is read in order.
 * (src/kernels/wasm/kernels.ts states the same rule for the row count.)
 */
@inline function sourceOrder(s3: i32, t3: i32, t4: i32, t5: i32): bool {
  return t5 == 1 && s3 > 1 && t3 < t4;
}

/**
 * out = src read through shape s0..s5 and strides t0..t5 (elements), for
 * rows r0 <= r < r1: the s0*s1*s2*s3 planes [s4, s5], or with
 * sourceOrder() the s0*s1*s2 blocks [s3, s4, s5] (float32; pointers are
 * byte addresses).
 */
export function stridedCopy(
  src: usize, out: usize,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32,
  t0: i32, t1: i32, t2: i32, t3: i32, t4: i32, t5: i32,
  r0: i32, r1: i32,
): void {
  if (r0 >= r1 || s3 <= 0 || s4 <= 0 || s5 <= 0) return;
  const plane = s4 * s5;
  if (sourceOrder(s3, t3, t4, t5)) {
    const block = s3 * plane;
    let r = r0;
    let i2 = r % s2; r /= s2;
    let i1 = r % s1; r /= s1;
    let base = r * t0 + i1 * t1 + i2 * t2;
    for (let k = r0; k < r1; k++) {
      const to = out + (<usize>k * <usize>block << 2);
      for (let i4 = 0; i4 < s4; i4++) {
        const from = src + (<usize>(base + i4 * t4) << 2);
        const at = to + (<usize>(i4 * s5) << 2);
        for (let i3 = 0; i3 < s3; i3++) copyRun(from + (<usize>(i3 * t3) << 2), at + (<usize>(i3 * plane) << 2), s5);
      }
      base += t2;
      if (++i2 < s2) continue;
      base -= s2 * t2; i2 = 0;
      base += t1;
      if (++i1 < s1) continue;
      base -= s1 * t1; i1 = 0;
      base += t0;
    }
    return;
  }
  // the plane's index (i0, i1, i2, i3) at r0, then counted up like an odometer
  let r = r0;
  let i3 = r % s3; r /= s3;
  let i2 = r % s2; r /= s2;
  let i1 = r % s1; r /= s1;
  let base = r * t0 + i1 * t1 + i2 * t2 + i3 * t3;
  // which copy every plane takes (the same strides for all)
  const mode = t5 == 1 ? 0 : t5 == 0 ? 1 : t4 == 1 ? 2 : 3;
  for (let k = r0; k < r1; k++) {
    const from = src + (<usize>base << 2);
    const to = out + (<usize>k * <usize>plane << 2);
    if (mode == 0) copyRuns(from, to, s4, s5, t4, s5);
    else if (mode == 1) splatRuns(from, to, s4, s5, t4);
    else if (mode == 2) transposePlane(from, to, s4, s5, t5);
    else scalarPlane(from, to, s4, s5, t4, t5);
    // next plane
    base += t3;
    if (++i3 < s3) continue;
    base -= s3 * t3; i3 = 0;
    base += t2;
    if (++i2 < s2) continue;
    base -= s2 * t2; i2 = 0;
    base += t1;
    if (++i1 < s1) continue;
    base -= s1 * t1; i1 = 0;
    base += t0;
  }
}

/**
 * Rows of `cols` floats from src (rows srcStride apart) to dst (rows
 * dstStride apart), strides in elements: the twin of copyRows in
 * src/kernels/js/strided.ts (slice's gradient, concat). Each row in v128 blocks.
 */
export function copyRows(src: usize, dst: usize, rows: i32, cols: i32, srcStride: i32, dstStride: i32): void {
  copyRuns(src, dst, rows, cols, srcStride, dstStride);
}
