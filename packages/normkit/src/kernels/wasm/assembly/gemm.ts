/**
 * General matrix multiply, 128-bit SIMD (f32x4), the WebAssembly twin of
 * src/kernels/js/gemm.ts.
 *
 * Shapes:  A is [M, K] (or [K, M] when transA), B is [K, N] (or [N, K] when
 * transB), C is [M, N], bias [N] or 0 (none).
 * C = (accumulate ? C : 0) + bias (every row) + op(A) @ op(B).
 * All pointers are byte addresses in linear memory (the caller adds offsets).
 * Without accumulate, each row of C starts as a copy of the bias (or zeros):
 * `linear` adds its bias this way instead of a JavaScript loop of row copies.
 *
 * Blocking: B is walked in panels of NC = 256 columns, each over all of K when
 * K x 256 floats fit 512 KiB (so every tile loads and stores its C block
 * once), else over KC = 128 rows at a time (L2-resident); inside a panel a
 * 4x8 register tile of C (8 f32x4 accumulators) is updated by one broadcast
 * of A and two loads of B per k.
 * B^T, and B itself from 32 rows of C, is first packed into 8-column panels
 * (`packB`: each tile's k panel contiguous, which took the Transformer
 * step's shapes from ~30 to ~40+ GFLOP/s); otherwise the tiles read B in
 * place. transA only changes A's strides
 * (A(i,k) = A[i*sai + k*sak]). Each
 * multiply-add is `madd` (assembly/lanes.ts): fused in the relaxed-SIMD build,
 * which took the lab's shapes from 21-31 to 35-47 GFLOP/s (docs/BENCHMARKS.md).
 */
import { madd } from './lanes';

const KC: i32 = 128;
const NC: i32 = 256;
/** Floats of a B panel (K x 256) still taken whole over k: 512 KiB. */
const BIG_PANEL: i64 = 131072;

// C[4 rows, 8 cols] += A[4 rows, kc] * B[kc, 8 cols]; strides in bytes.
@inline function tile4x8(a: usize, sai: usize, sak: usize, b: usize, ldb: usize, c: usize, ldc: usize, kc: i32): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let r00 = v128.load(c), r01 = v128.load(c, 16);
  let r10 = v128.load(c1), r11 = v128.load(c1, 16);
  let r20 = v128.load(c2), r21 = v128.load(c2, 16);
  let r30 = v128.load(c3), r31 = v128.load(c3, 16);
  const a1o = sai, a2o = sai * 2, a3o = sai * 3;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    r00 = madd(s, b0, r00); r01 = madd(s, b1, r01);
    s = v128.load32_splat(a + a1o);
    r10 = madd(s, b0, r10); r11 = madd(s, b1, r11);
    s = v128.load32_splat(a + a2o);
    r20 = madd(s, b0, r20); r21 = madd(s, b1, r21);
    s = v128.load32_splat(a + a3o);
    r30 = madd(s, b0, r30); r31 = madd(s, b1, r31);
    a += sak; b += ldb;
  }
  v128.store(c, r00); v128.store(c, r01, 16);
  v128.store(c1, r10); v128.store(c1, r11, 16);
  v128.store(c2, r20); v128.store(c2, r21, 16);
  v128.store(c3, r30); v128.store(c3, r31, 16);
}

// C[4 rows, 4 cols] += A[4, kc] * B[kc, 4].
@inline function tile4x4(a: usize, sai: usize, sak: usize, b: usize, ldb: usize, c: usize, ldc: usize, kc: i32): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let r0 = v128.load(c), r1 = v128.load(c1), r2 = v128.load(c2), r3 = v128.load(c3);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    r0 = madd(v128.load32_splat(a), b0, r0);
    r1 = madd(v128.load32_splat(a + sai), b0, r1);
    r2 = madd(v128.load32_splat(a + sai * 2), b0, r2);
    r3 = madd(v128.load32_splat(a + sai * 3), b0, r3);
    a += sak; b += ldb;
  }
  v128.store(c, r0); v128.store(c1, r1); v128.store(c2, r2); v128.store(c3, r3);
}

// C[1 row, 8 cols] += A[1, kc] * B[kc, 8].
@inline function tile1x8(a: usize, sak: usize, b: usize, ldb: usize, c: usize, kc: i32): void {
  let r0 = v128.load(c), r1 = v128.load(c, 16);
  for (let k = 0; k < kc; k++) {
    const s = v128.load32_splat(a);
    r0 = madd(s, v128.load(b), r0);
    r1 = madd(s, v128.load(b, 16), r1);
    a += sak; b += ldb;
  }
  v128.store(c, r0); v128.store(c, r1, 16);
}

// C[1 row, 4 cols] += A[1, kc] * B[kc, 4].
@inline function tile1x4(a: usize, sak: usize, b: usize, ldb: usize, c: usize, kc: i32): void {
  let r0 = v128.load(c);
  for (let k = 0; k < kc; k++) {
    r0 = madd(v128.load32_splat(a), v128.load(b), r0);
    a += sak; b += ldb;
  }
  v128.store(c, r0);
}

// C[1, 1] += A[1, kc] * B[kc, 1] (the ragged right edge).
@inline function tile1x1(a: usize, sak: usize, b: usize, ldb: usize, c: usize, kc: i32): void {
  let s: f32 = load<f32>(c);
  for (let k = 0; k < kc; k++) {
    s += load<f32>(a) * load<f32>(b);
    a += sak; b += ldb;
  }
  store<f32>(c, s);
}

/** The 4x4 block at src (rows ls bytes apart) stored transposed at dst (rows ld bytes apart): four loads, eight shuffles, four stores. */
@inline function transpose4x4(src: usize, ls: usize, dst: usize, ld: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + ls), r2 = v128.load(src + 2 * ls), r3 = v128.load(src + 3 * ls);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + ld, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * ld, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * ld, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Pack op(B) (B [K, N], or [N, K] when transB) into the layout the 4x8 tile
 * reads best: for each full tile of 8 columns t, a contiguous [K, 8] block
 * at dst + t * K * 32 bytes; the last N % 8 = r columns follow as one [K, r]
 * block. A tile then reads 32 consecutive bytes per k instead of two loads
 * a row of B apart (a new cache line every k); see `gemmRows`.
 */
export function packB(dst: usize, src: usize, N: i32, K: i32, transB: bool): void {
  const N8 = N & ~7;
  const K4 = K & ~3;
  for (let j = 0; j < N8; j += 8) {
    const d = dst + (<usize>j * <usize>K << 2);
    if (!transB) {
      const ls: usize = <usize>N << 2;
      let s = src + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const o = <usize>k << 5;
        v128.store(d + o, v128.load(s)); v128.store(d + o, v128.load(s, 16), 16);
        s += ls;
      }
    } else {
      // rows j..j+7 of src [N, K], 4x4 blocks through registers
      const ls: usize = <usize>K << 2;
      for (let h = 0; h < 2; h++) {
        const s = src + (<usize>(j + 4 * h) * ls);
        const dh = d + (<usize>h << 4);
        for (let k = 0; k < K4; k += 4) {
          transpose4x4(s + (<usize>k << 2), ls, dh + (<usize>k << 5), 32);
        }
        for (let k = K4; k < K; k++) {
          for (let c = 0; c < 4; c++) store<f32>(dh + (<usize>k << 5) + (<usize>c << 2), load<f32>(s + <usize>c * ls + (<usize>k << 2)));
        }
      }
    }
  }
  const r = N - N8;
  if (r == 0) return;
  const rem = dst + (<usize>N8 * <usize>K << 2);
  for (let k = 0; k < K; k++) {
    for (let c = 0; c < r; c++) {
      const v = transB ? load<f32>(src + ((<usize>(N8 + c) * <usize>K + <usize>k) << 2)) : load<f32>(src + ((<usize>k * <usize>N + <usize>(N8 + c)) << 2));
      store<f32>(rem + ((<usize>k * <usize>r + <usize>c) << 2), v);
    }
  }
}

/**
 * gemmRows' loops over a B packed by `packB`: each 8-column tile's k panel
 * is kc x 32 contiguous bytes (ldb 32), the last N % 8 columns a [K, r]
 * block read by the narrow tiles (ldb 4r). Panels of 256 columns and, when
 * K x 256 floats exceed 512 KiB, of 128 k keep B's working set in L2.
 */
function gemmPacked(a: usize, sai: usize, sak: usize, b: usize, c: usize, ldc: usize, N: i32, K: i32, m0: i32, m1: i32): void {
  const N8 = N & ~7, r = N - N8;
  const rem = b + (<usize>N8 * <usize>K << 2);
  const ldr: usize = <usize>r << 2;
  const kcMax = <i64>K * <i64>min(N, NC) <= BIG_PANEL ? K : KC;
  for (let jj = 0; jj < N; jj += NC) {
    const je = min(jj + NC, N);
    for (let kk = 0; kk < K; kk += kcMax) {
      // 8-column tile j at b + j K 4 + kk 32 (ldb 32); the narrow tiles in `rem` at (kk, j - N8)
      panelTiles(a, sai, sak, c, ldc, m0, m1, jj, je, kk, min(kcMax, K - kk),
        b + (<usize>kk << 5), <usize>K << 2, 32, rem + <usize>kk * ldr - (<usize>N8 << 2), ldr);
    }
  }
}

/**
 * The tiles of one panel of C, columns [jj, je) over k in [kk, kk + kc), rows
 * [m0, m1): 4x8 tiles, then 4x4 and 1-column tiles at the ragged right edge,
 * and single rows below the last 4-row block. B's 8-column tile at column j
 * starts at base8 + j step8 (rows ld8 bytes apart); the narrow tiles' B at
 * baseN + 4 j (rows ldN apart). Shared by the packed and unpacked layouts.
 */
@inline function panelTiles(
  a: usize, sai: usize, sak: usize, c: usize, ldc: usize, m0: i32, m1: i32, jj: i32, je: i32, kk: i32, kc: i32,
  base8: usize, step8: usize, ld8: usize, baseN: usize, ldN: usize,
): void {
  let i = m0;
  for (; i + 4 <= m1; i += 4) {
    const ap = a + <usize>i * sai + <usize>kk * sak;
    const cp = c + <usize>i * ldc;
    let j = jj;
    for (; j + 8 <= je; j += 8) tile4x8(ap, sai, sak, base8 + <usize>j * step8, ld8, cp + (<usize>j << 2), ldc, kc);
    for (; j + 4 <= je; j += 4) tile4x4(ap, sai, sak, baseN + (<usize>j << 2), ldN, cp + (<usize>j << 2), ldc, kc);
    for (; j < je; j++) {
      for (let q = 0; q < 4; q++) tile1x1(ap + <usize>q * sai, sak, baseN + (<usize>j << 2), ldN, cp + <usize>q * ldc + (<usize>j << 2), kc);
    }
  }
  for (; i < m1; i++) {
    const ap = a + <usize>i * sai + <usize>kk * sak;
    const cp = c + <usize>i * ldc;
    let j = jj;
    for (; j + 8 <= je; j += 8) tile1x8(ap, sak, base8 + <usize>j * step8, ld8, cp + (<usize>j << 2), kc);
    for (; j + 4 <= je; j += 4) tile1x4(ap, sak, baseN + (<usize>j << 2), ldN, cp + (<usize>j << 2), kc);
    for (; j < je; j++) tile1x1(ap, sak, baseN + (<usize>j << 2), ldN, cp + (<usize>j << 2), kc);
  }
}

/**
 * C (+)= bias + op(A) @ op(B) for rows [m0, m1) of C (bias: 0 = none).
 * `packed`: b is op(B) packed by `packB` (transB is then ignored); an
 * unpacked B^T is packed into `scratch` (N*K floats) first. A caller
 * splitting rows over threads packs once and passes the packed copy.
 */
export function gemmRows(
  a: usize, b: usize, c: usize, M: i32, N: i32, K: i32,
  transA: bool, transB: bool, accumulate: bool, scratch: usize, bias: usize, packed: bool, m0: i32, m1: i32,
): void {
  if (m1 <= m0) return;
  const rowBytes: usize = <usize>N << 2;
  if (!accumulate && !bias) memory.fill(c + <usize>m0 * rowBytes, 0, <usize>(m1 - m0) * rowBytes);
  else if (!accumulate) for (let i = m0; i < m1; i++) memory.copy(c + <usize>i * rowBytes, bias, rowBytes);
  else if (bias) {
    for (let i = m0; i < m1; i++) {
      const cp = c + <usize>i * rowBytes;
      for (let j: usize = 0; j < rowBytes; j += 4) store<f32>(cp + j, load<f32>(cp + j) + load<f32>(bias + j));
    }
  }
  if (K == 0 || N == 0) return;
  const sai: usize = transA ? 4 : <usize>K << 2; // byte stride between rows i of op(A)
  const sak: usize = transA ? <usize>M << 2 : 4; // byte stride between columns k of op(A)
  const ldc: usize = <usize>N << 2;
  // B^T is always read packed (a caller that did not pack it has it packed here)
  if (!packed && transB) { packB(scratch, b, N, K, true); b = scratch; packed = true; }
  if (packed) { gemmPacked(a, sai, sak, b, c, ldc, N, K, m0, m1); return; }
  const ldb: usize = <usize>N << 2;
  // One k panel when B's columns of one jj panel fit in L2 (K x 256 floats up to
  // 512 KiB): each tile then loads and stores its C block once instead of once
  // per 128-k panel, which swept all of C through the cache K/128 times.
  const kcMax = <i64>K * <i64>min(N, NC) <= BIG_PANEL ? K : KC;
  for (let kk = 0; kk < K; kk += kcMax) {
    const kc = min(kcMax, K - kk);
    // B in place: column j of row kk at b + kk ldb + 4 j, for every tile width
    const bk = b + <usize>kk * ldb;
    for (let jj = 0; jj < N; jj += NC) panelTiles(a, sai, sak, c, ldc, m0, m1, jj, min(jj + NC, N), kk, kc, bk, 4, ldb, bk, ldb);
  }
}

/**
 * nb independent products C_t = op(A_t) @ op(B_t), t < nb, with A_t at
 * a + t * strideA elements (0: one A for all) and likewise B_t, C_t contiguous
 * [M, N] blocks. One call for a whole batch: attention's per-head products
 * are small (32 x 16 x 32), where a call per product spent more time in the
 * JavaScript around it than in the arithmetic. With `pack` (the caller's
 * choice, gemmPacks in src/kernels/wasm/kernels.ts) each B_t is packed into
 * `scratch` (K * N floats; a shared B once); otherwise the tiles read it in
 * place.
 */
export function gemmBatched(
  a: usize, b: usize, c: usize, nb: i32, M: i32, N: i32, K: i32,
  transA: bool, transB: bool, strideA: i32, strideB: i32, scratch: usize, pack: bool,
): void {
  const sc: usize = <usize>M * <usize>N << 2;
  // strides in elements (0: every batch shares the operand)
  const sa: usize = <usize>strideA << 2, sb: usize = <usize>strideB << 2;
  for (let t = 0; t < nb; t++) {
    const bt = b + <usize>t * sb;
    // a shared B (strideB 0) is packed once
    if (pack && (t == 0 || sb != 0)) packB(scratch, bt, N, K, transB);
    gemmRows(a + <usize>t * sa, pack ? scratch : bt, c + <usize>t * sc, M, N, K, transA, pack ? false : transB, false, scratch, 0, pack, 0, M);
  }
}
