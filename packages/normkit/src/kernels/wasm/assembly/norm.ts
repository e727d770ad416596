/**
 * LayerNorm and RMSNorm, forward above backward, 128-bit SIMD; the
 * WebAssembly twins of src/kernels/js/layernorm.ts and rmsnorm.ts (same
 * formulas, see there), for float32 data and float64 statistics.
 *
 * Shapes: inp, out, dout, dinp [N, C] f32; weight, bias [C] f32 (pointer 0 =
 * none); mean, rstd [N] f64; dwAcc, dbAcc [C] f64 accumulators (pointer 0 =
 * skip). Every kernel works on rows [n0, n1) so threads can split the rows.
 *
 * Exactness: statistics shift each row by its first element K, promote to
 * f64 before subtracting, and accumulate in f64x2 lanes; LayerNorm takes the
 * shifted sum and sum of squares in one pass (see shiftedMoments for why
 * that stays exact in f64), then normalizes the row while it is in L1. The
 * output pass runs in f32x4 on (x - K) - (mean - K): x - K is exact for x
 * near K, and mean - K is small, so a large common offset costs no digits.
 */

import { lo, hi, hsum, madd, madd64, addToF64 } from './lanes';

// sum over the row of (x - S)^2, in f64
@inline function sumSquares(p: usize, C: i32, S: f64): f64 {
  const s2 = f64x2.splat(S);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const v = v128.load(p + (<usize>c << 2));
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), s2);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), s2);
    a0 = madd64(d0, d0, a0);
    a1 = madd64(d1, d1, a1);
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; c < C; c++) {
    const d = <f64>load<f32>(p + (<usize>c << 2)) - S;
    s += d * d;
  }
  return s;
}

// One pass over the row: sum of d and of d^2 with d = x - K, both in f64
// (results in the globals below). With K an element of the row,
// (mean - K)^2 <= C var, so var = S2/C - (S1/C)^2 loses at most log10(C)
// of f64's 16 digits: exact for float32 data, and one pass fewer than
// mean-then-variance.
let gS1: f64 = 0;
let gS2: f64 = 0;
@inline function shiftedMoments(p: usize, C: i32, K: f64): void {
  const k2 = f64x2.splat(K);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let a2 = f64x2.splat(0), a3 = f64x2.splat(0), q2 = f64x2.splat(0), q3 = f64x2.splat(0);
  let c = 0;
  // 8 floats per iteration into 8 independent f64 chains: the adds' latency,
  // not memory, bounded the 4-float loop.
  for (; c + 8 <= C; c += 8) {
    const v = v128.load(p + (<usize>c << 2));
    const w = v128.load(p + (<usize>c << 2), 16);
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), k2);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), k2);
    const d2 = f64x2.sub(f64x2.promote_low_f32x4(w), k2);
    const d3 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1)), k2);
    a0 = f64x2.add(a0, d0); a1 = f64x2.add(a1, d1); a2 = f64x2.add(a2, d2); a3 = f64x2.add(a3, d3);
    q0 = madd64(d0, d0, q0); q1 = madd64(d1, d1, q1);
    q2 = madd64(d2, d2, q2); q3 = madd64(d3, d3, q3);
  }
  a0 = f64x2.add(a0, a2); a1 = f64x2.add(a1, a3); q0 = f64x2.add(q0, q2); q1 = f64x2.add(q1, q3);
  for (; c + 4 <= C; c += 4) {
    const v = v128.load(p + (<usize>c << 2));
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), k2);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), k2);
    a0 = f64x2.add(a0, d0); a1 = f64x2.add(a1, d1);
    q0 = madd64(d0, d0, q0); q1 = madd64(d1, d1, q1);
  }
  const a = f64x2.add(a0, a1), q = f64x2.add(q0, q1);
  let s1 = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  let s2 = f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1);
  for (; c < C; c++) {
    const d = <f64>load<f32>(p + (<usize>c << 2)) - K;
    s1 += d; s2 += d * d;
  }
  gS1 = s1; gS2 = s2;
}

/** LayerNorm forward on rows [n0, n1): out, mean, rstd from inp (weight/bias may be 0). */
export function layernormForward(
  out: usize, mean: usize, rstd: usize, inp: usize, weight: usize, bias: usize,
  N: i32, C: i32, eps: f64, n0: i32, n1: i32,
): void {
  const rowBytes = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * rowBytes;
    const y = out + <usize>n * rowBytes;
    const K = <f64>load<f32>(x);
    shiftedMoments(x, C, K);
    const ms = gS1 / <f64>C;
    const v = max(gS2 / <f64>C - ms * ms, 0);
    const r = 1.0 / Math.sqrt(v + eps);
    store<f64>(mean + (<usize>n << 3), K + ms);
    store<f64>(rstd + (<usize>n << 3), r);
    const kf = f32x4.splat(<f32>K), mf = f32x4.splat(<f32>ms), rf = f32x4.splat(<f32>r);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      let h = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), kf), mf), rf);
      if (weight) h = f32x4.mul(h, v128.load(weight + o));
      if (bias) h = f32x4.add(h, v128.load(bias + o));
      v128.store(y + o, h);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let h = (load<f32>(x + o) - <f32>K - <f32>ms) * <f32>r;
      if (weight) h *= load<f32>(weight + o);
      if (bias) h += load<f32>(bias + o);
      store<f32>(y + o, h);
    }
  }
}

/** xhat = ((x - K) - (mean - K)) rstd for the four floats at p (kf, mk, rf: K, mean - K, rstd splatted). */
@inline function xhatAt(p: usize, kf: v128, mk: v128, rf: v128): v128 {
  return f32x4.mul(f32x4.sub(f32x4.sub(v128.load(p), kf), mk), rf);
}
/** dn = dout w for four lanes of dout at column offset o (weight 0: dout). */
@inline function dnormAt(gv: v128, weight: usize, o: usize): v128 {
  return weight ? f32x4.mul(gv, v128.load(weight + o)) : gv;
}

// The row sums of the last `rowSums64` (sum of dn, sum of dn xhat), in f64.
let gSD: f64 = 0;
let gSDX: f64 = 0;

/**
 * One row's sums of dn = dout w and of dn xhat, f32 products added into f64
 * lanes, the scalar tail in f64 (results in gSD, gSDX). Single rows use it,
 * and a pair of rows whose float32 block sums overflowed redoes its sums here.
 */
@inline function rowSums64(g: usize, x: usize, weight: usize, kf: v128, mk: v128, rf: v128, m: f64, r: f64, C: i32): void {
  let sD0 = f64x2.splat(0), sD1 = f64x2.splat(0), sX0 = f64x2.splat(0), sX1 = f64x2.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    const gv = v128.load(g + o);
    const xh = xhatAt(x + o, kf, mk, rf);
    const dn = dnormAt(gv, weight, o);
    const dx = f32x4.mul(dn, xh);
    sD0 = f64x2.add(sD0, lo(dn)); sD1 = f64x2.add(sD1, hi(dn));
    sX0 = f64x2.add(sX0, lo(dx)); sX1 = f64x2.add(sX1, hi(dx));
  }
  let sumD = hsum(f64x2.add(sD0, sD1)), sumDX = hsum(f64x2.add(sX0, sX1));
  for (; c < C; c++) {
    const o = <usize>c << 2;
    // Scalar tail in f64, like the TypeScript kernel: rows of 1-3 columns
    // (whose true gradient is pure cancellation) stay exact.
    const gs = <f64>load<f32>(g + o);
    const xh = (<f64>load<f32>(x + o) - m) * r;
    const dn = weight ? gs * <f64>load<f32>(weight + o) : gs;
    sumD += dn;
    sumDX += dn * xh;
  }
  gSD = sumD; gSDX = sumDX;
}

/** dwAcc += dout xhat, dbAcc += dout for the scalar tail [c0, C) of one row, in f64. */
@inline function paramTail(dwAcc: usize, dbAcc: usize, g: usize, x: usize, m: f64, r: f64, c0: i32, C: i32): void {
  for (let t = c0; t < C; t++) {
    const gs = <f64>load<f32>(g + (<usize>t << 2));
    if (dwAcc) store<f64>(dwAcc + (<usize>t << 3), load<f64>(dwAcc + (<usize>t << 3)) + gs * (<f64>load<f32>(x + (<usize>t << 2)) - m) * r);
    if (dbAcc) store<f64>(dbAcc + (<usize>t << 3), load<f64>(dbAcc + (<usize>t << 3)) + gs);
  }
}

/** One row's input gradient: d = rstd (dn - sumD/C - xhat sumDX/C), f32 lanes and an f64 tail. */
@inline function rowDx(d: usize, g: usize, x: usize, weight: usize, kf: v128, mk: v128, rf: v128, m: f64, r: f64, sumD: f64, sumDX: f64, C: i32): void {
  const mD = f32x4.splat(<f32>(sumD / <f64>C)), mDX = f32x4.splat(<f32>(sumDX / <f64>C));
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    const gv = v128.load(g + o);
    const xh = xhatAt(x + o, kf, mk, rf);
    const dn = dnormAt(gv, weight, o);
    v128.store(d + o, f32x4.mul(f32x4.sub(f32x4.sub(dn, mD), f32x4.mul(xh, mDX)), rf));
  }
  const meanD64 = sumD / <f64>C, meanDX64 = sumDX / <f64>C;
  for (; c < C; c++) {
    const o = <usize>c << 2;
    const xh = (<f64>load<f32>(x + o) - m) * r;
    const gs = <f64>load<f32>(g + o);
    const dn = weight ? gs * <f64>load<f32>(weight + o) : gs;
    store<f32>(d + o, <f32>((dn - meanD64 - xh * meanDX64) * r));
  }
}

/** Floats per float32 block of a row's sums before they join the f64 sums (16 vectors). */
const SUM_BLOCK: i32 = 64;

/**
 * LayerNorm backward on rows [n0, n1): dinp = rstd (dnorm - mean(dnorm) -
 * xhat mean(dnorm xhat)) (skipped when dinp is 0); dwAcc += dout xhat and
 * dbAcc += dout in f64 (skipped when 0).
 *
 * Rows go in pairs. The f64 accumulators dwAcc/dbAcc are loaded and stored
 * once per pair, with the pair's two float32 terms added first; each row's
 * sums run in float32 lanes over blocks of 64 columns, and each block's sum
 * joins f64 lanes (promoting every term to f64, as the single-row path does,
 * made this backward twice the forward's time). A pair whose float32 sums
 * are not finite (values near float32's limit) redoes them in f64. An odd
 * last row takes the single-row path. The range [p0, p1) is in pairs of rows.
 */
export function layernormBackward(
  dinp: usize, dwAcc: usize, dbAcc: usize, dout: usize, inp: usize, weight: usize,
  mean: usize, rstd: usize, N: i32, C: i32, p0: i32, p1: i32,
): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  // [p0, p1) counts pairs: rows [2 p0, min(2 p1, N)). Threads split pairs, so
  // every row has the same partner for any number of threads (a row's results
  // depend on whether it is paired), and only an odd last row goes alone.
  const n1 = min(N, p1 << 1);
  let n = p0 << 1;
  for (; n + 2 <= n1; n += 2) {
    const x0 = inp + <usize>n * rowBytes, x1 = x0 + rowBytes;
    const g0 = dout + <usize>n * rowBytes, g1 = g0 + rowBytes;
    const K0 = load<f32>(x0), K1 = load<f32>(x1);
    const m0 = load<f64>(mean + (<usize>n << 3)), m1 = load<f64>(mean + (<usize>n << 3), 8);
    const r0 = load<f64>(rstd + (<usize>n << 3)), r1 = load<f64>(rstd + (<usize>n << 3), 8);
    const kf0 = f32x4.splat(K0), mk0 = f32x4.splat(<f32>(m0 - <f64>K0)), rf0 = f32x4.splat(<f32>r0);
    const kf1 = f32x4.splat(K1), mk1 = f32x4.splat(<f32>(m1 - <f64>K1)), rf1 = f32x4.splat(<f32>r1);
    let sD0 = f64x2.splat(0), sX0 = f64x2.splat(0), sD1 = f64x2.splat(0), sX1 = f64x2.splat(0);
    let c = 0;
    while (c < C4) {
      const cEnd = min(C4, c + SUM_BLOCK);
      let bD0 = f32x4.splat(0), bX0 = f32x4.splat(0), bD1 = f32x4.splat(0), bX1 = f32x4.splat(0);
      for (; c < cEnd; c += 4) {
        const o = <usize>c << 2;
        const gv0 = v128.load(g0 + o), gv1 = v128.load(g1 + o);
        const xh0 = xhatAt(x0 + o, kf0, mk0, rf0);
        const xh1 = xhatAt(x1 + o, kf1, mk1, rf1);
        let dn0 = gv0, dn1 = gv1;
        if (weight) { const wv = v128.load(weight + o); dn0 = f32x4.mul(gv0, wv); dn1 = f32x4.mul(gv1, wv); }
        bD0 = f32x4.add(bD0, dn0); bD1 = f32x4.add(bD1, dn1);
        bX0 = madd(dn0, xh0, bX0); bX1 = madd(dn1, xh1, bX1);
        if (dwAcc) {
          const gx = madd(gv0, xh0, f32x4.mul(gv1, xh1));
          addToF64(dwAcc + (<usize>c << 3), gx);
        }
        if (dbAcc) {
          const gs = f32x4.add(gv0, gv1);
          addToF64(dbAcc + (<usize>c << 3), gs);
        }
      }
      sD0 = f64x2.add(sD0, f64x2.add(lo(bD0), hi(bD0))); sX0 = f64x2.add(sX0, f64x2.add(lo(bX0), hi(bX0)));
      sD1 = f64x2.add(sD1, f64x2.add(lo(bD1), hi(bD1))); sX1 = f64x2.add(sX1, f64x2.add(lo(bX1), hi(bX1)));
    }
    let sumD0 = hsum(sD0), sumDX0 = hsum(sX0), sumD1 = hsum(sD1), sumDX1 = hsum(sX1);
    if (C4 < C) {
      // the scalar tails in f64 (see rowSums64)
      for (let t = C4; t < C; t++) {
        const o = <usize>t << 2;
        const w: f64 = weight ? <f64>load<f32>(weight + o) : 1.0;
        const dn0 = <f64>load<f32>(g0 + o) * w, dn1 = <f64>load<f32>(g1 + o) * w;
        sumD0 += dn0; sumDX0 += dn0 * (<f64>load<f32>(x0 + o) - m0) * r0;
        sumD1 += dn1; sumDX1 += dn1 * (<f64>load<f32>(x1 + o) - m1) * r1;
      }
      paramTail(dwAcc, dbAcc, g0, x0, m0, r0, C4, C);
      paramTail(dwAcc, dbAcc, g1, x1, m1, r1, C4, C);
    }
    // x - x is 0 for every finite x: a float32 block sum that overflowed is redone in f64
    if ((sumD0 - sumD0) + (sumDX0 - sumDX0) + (sumD1 - sumD1) + (sumDX1 - sumDX1) != 0) {
      rowSums64(g0, x0, weight, kf0, mk0, rf0, m0, r0, C); sumD0 = gSD; sumDX0 = gSDX;
      rowSums64(g1, x1, weight, kf1, mk1, rf1, m1, r1, C); sumD1 = gSD; sumDX1 = gSDX;
    }
    if (!dinp) continue;
    rowDx(dinp + <usize>n * rowBytes, g0, x0, weight, kf0, mk0, rf0, m0, r0, sumD0, sumDX0, C);
    rowDx(dinp + <usize>n * rowBytes + rowBytes, g1, x1, weight, kf1, mk1, rf1, m1, r1, sumD1, sumDX1, C);
  }
  for (; n < n1; n++) {
    const x = inp + <usize>n * rowBytes;
    const g = dout + <usize>n * rowBytes;
    const K = load<f32>(x);
    const m = load<f64>(mean + (<usize>n << 3));
    const r = load<f64>(rstd + (<usize>n << 3));
    const kf = f32x4.splat(K), mk = f32x4.splat(<f32>(m - <f64>K)), rf = f32x4.splat(<f32>r);
    rowSums64(g, x, weight, kf, mk, rf, m, r, C);
    const sumD = gSD, sumDX = gSDX;
    if (dwAcc || dbAcc) {
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const gv = v128.load(g + o);
        if (dwAcc) {
          const gx = f32x4.mul(gv, xhatAt(x + o, kf, mk, rf));
          addToF64(dwAcc + (<usize>c << 3), gx);
        }
        if (dbAcc) {
          addToF64(dbAcc + (<usize>c << 3), gv);
        }
      }
      paramTail(dwAcc, dbAcc, g, x, m, r, c, C);
    }
    if (dinp) rowDx(dinp + <usize>n * rowBytes, g, x, weight, kf, mk, rf, m, r, sumD, sumDX, C);
  }
}

/** RMSNorm forward on rows [n0, n1): rstd = 1/sqrt(mean(x^2) + eps), out = x rstd w. */
export function rmsnormForward(
  out: usize, rstd: usize, inp: usize, weight: usize, N: i32, C: i32, eps: f64, n0: i32, n1: i32,
): void {
  const rowBytes = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * rowBytes;
    const y = out + <usize>n * rowBytes;
    const r = 1.0 / Math.sqrt(sumSquares(x, C, 0) / <f64>C + eps);
    store<f64>(rstd + (<usize>n << 3), r);
    const rf = f32x4.splat(<f32>r);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      let h = f32x4.mul(v128.load(x + o), rf);
      if (weight) h = f32x4.mul(h, v128.load(weight + o));
      v128.store(y + o, h);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let h = load<f32>(x + o) * <f32>r;
      if (weight) h *= load<f32>(weight + o);
      store<f32>(y + o, h);
    }
  }
}

/** RMSNorm backward on rows [n0, n1): dinp = rstd (dnorm - xhat mean(dnorm xhat)); dwAcc += dout xhat (f64). */
export function rmsnormBackward(
  dinp: usize, dwAcc: usize, dout: usize, inp: usize, weight: usize, rstd: usize, N: i32, C: i32, n0: i32, n1: i32,
): void {
  const rowBytes = <usize>C << 2;
  for (let n = n0; n < n1; n++) {
    const x = inp + <usize>n * rowBytes;
    const g = dout + <usize>n * rowBytes;
    const r = load<f64>(rstd + (<usize>n << 3));
    const rf = f32x4.splat(<f32>r);
    let sX0 = f64x2.splat(0), sX1 = f64x2.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const gv = v128.load(g + o);
      const xh = f32x4.mul(v128.load(x + o), rf);
      const dn = dnormAt(gv, weight, o);
      const dx = f32x4.mul(dn, xh);
      sX0 = f64x2.add(sX0, f64x2.promote_low_f32x4(dx));
      sX1 = f64x2.add(sX1, f64x2.promote_low_f32x4(i32x4.shuffle(dx, dx, 2, 3, 0, 1)));
      if (dwAcc) {
        addToF64(dwAcc + (<usize>c << 3), f32x4.mul(gv, xh));
      }
    }
    const aX = f64x2.add(sX0, sX1);
    let sumDX = f64x2.extract_lane(aX, 0) + f64x2.extract_lane(aX, 1);
    for (let t = c; t < C; t++) {
      const o = <usize>t << 2;
      // Scalar tail in f64, like the TypeScript kernel (see layernormBackward).
      const gs = <f64>load<f32>(g + o);
      const xh = <f64>load<f32>(x + o) * r;
      sumDX += (weight ? gs * <f64>load<f32>(weight + o) : gs) * xh;
      if (dwAcc) store<f64>(dwAcc + (<usize>t << 3), load<f64>(dwAcc + (<usize>t << 3)) + gs * xh);
    }
    if (!dinp) continue;
    const d = dinp + <usize>n * rowBytes;
    const meanDX = <f32>(sumDX / <f64>C);
    const mDX = f32x4.splat(meanDX);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const gv = v128.load(g + o);
      const xh = f32x4.mul(v128.load(x + o), rf);
      const dn = dnormAt(gv, weight, o);
      v128.store(d + o, f32x4.mul(f32x4.sub(dn, f32x4.mul(xh, mDX)), rf));
    }
    const meanDX64 = sumDX / <f64>C;
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = <f64>load<f32>(x + o) * r;
      const gs = <f64>load<f32>(g + o);
      const dn = weight ? gs * <f64>load<f32>(weight + o) : gs;
      store<f32>(d + o, <f32>((dn - xh * meanDX64) * r));
    }
  }
}
