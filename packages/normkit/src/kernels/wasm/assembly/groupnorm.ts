/**
 * GroupNorm (Wu & He 2018, arXiv:1803.08494), forward above backward, 128-bit
 * SIMD; the WebAssembly twin of src/kernels/js/groupnorm.ts (same formulas,
 * see there). InstanceNorm is G = C; the "layernorm" of CNNs is G = 1.
 *
 * Shapes: inp, out, dout, dinp [N, C, S] f32 = [N*G, D] rows with
 * D = (C/G)*S (each (sample, group) is one contiguous row); weight, bias [C]
 * f32 (pointer 0 = none); mean, rstd [N*G] f64; dwAcc, dbAcc [C] f64
 * accumulators (pointer 0 = skip). Kernels work on rows [r0, r1) so threads
 * can split them.
 *
 * Exactness: as the LayerNorm kernel (norm.ts). Each row is shifted by its
 * first element K, promoted to f64 before subtracting, and the shifted sum
 * and sum of squares accumulate in f64x2 lanes in one pass; with K an element
 * of the row, (mean - K)^2 <= D var, so var = S2/D - (S1/D)^2 loses at most
 * log10(D) of f64's 16 digits (exact for float32 data; a constant row gives
 * var = 0 exactly, so its output is the bias). Outputs are computed in f32x4
 * on (x - K) - (mean - K), both small, so a 1e6 offset costs no digits.
 *
 * Backward: the per-channel sums of dout and dout*(x - K) accumulate in f64
 * (x - K and the products of promoted f32 values are exact), so sum dout xhat
 * = rstd (sum dout (x - K) - (mean - K) sum dout) keeps f64 accuracy even when
 * it is a near cancellation (as dweight often is); dinp runs in f32x4, except for
 * rows of fewer than SMALL_D values: there dinp is a near-total cancellation
 * (D = 2: rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) is O(eps/var) of
 * its terms), which only f64 arithmetic keeps accurate.
 */

import { lo, hi, hsum } from './lanes';

/** Rows shorter than this take the f64 path of the backward (see above). */
const SMALL_D: i32 = 16;

/**
 * One short row (D < SMALL_D) of the backward entirely in f64, as the
 * TypeScript kernel: xhat = (x - mean) rstd, both reductions, then dinp.
 */
function smallRowBackward(
  dinp: usize, dwAcc: usize, dbAcc: usize, dout: usize, inp: usize, weight: usize,
  m: f64, r: f64, S: i32, Cg: i32, D: i32, row: i32, c0: i32,
): void {
  const b = <usize>row * <usize>D << 2;
  let sumD: f64 = 0, sumDX: f64 = 0;
  for (let j = 0; j < Cg; j++) {
    const c = c0 + j;
    let sg: f64 = 0, sgx: f64 = 0;
    for (let s = 0; s < S; s++) {
      const o = b + (<usize>(j * S + s) << 2);
      const gs = <f64>load<f32>(dout + o);
      sg += gs;
      sgx += gs * (<f64>load<f32>(inp + o) - m) * r;
    }
    const w: f64 = weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
    sumD += w * sg;
    sumDX += w * sgx;
    if (dbAcc) store<f64>(dbAcc + (<usize>c << 3), load<f64>(dbAcc + (<usize>c << 3)) + sg);
    if (dwAcc) store<f64>(dwAcc + (<usize>c << 3), load<f64>(dwAcc + (<usize>c << 3)) + sgx);
  }
  if (!dinp) return;
  const meanD = sumD / <f64>D, meanDX = sumDX / <f64>D;
  for (let j = 0; j < Cg; j++) {
    const w: f64 = weight ? <f64>load<f32>(weight + (<usize>(c0 + j) << 2)) : 1.0;
    for (let s = 0; s < S; s++) {
      const o = b + (<usize>(j * S + s) << 2);
      const xh = (<f64>load<f32>(inp + o) - m) * r;
      store<f32>(dinp + o, <f32>(r * (w * <f64>load<f32>(dout + o) - meanD - xh * meanDX)));
    }
  }
}

/** GroupNorm forward on rows [r0, r1) of N*G: out, mean, rstd from inp. */
export function groupnormForward(
  out: usize, mean: usize, rstd: usize, inp: usize, weight: usize, bias: usize,
  N: i32, C: i32, S: i32, G: i32, eps: f64, r0: i32, r1: i32,
): void {
  const Cg = C / G;
  const D = Cg * S;
  const rowBytes = <usize>D << 2;
  const runBytes = <usize>S << 2;
  for (let row = r0; row < r1; row++) {
    const x = inp + <usize>row * rowBytes;
    const y = out + <usize>row * rowBytes;
    const K = <f64>load<f32>(x);
    // one pass: shifted sum and sum of squares in f64
    const k2 = f64x2.splat(K);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
    let i = 0;
    for (; i + 4 <= D; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const d0 = f64x2.sub(lo(v), k2), d1 = f64x2.sub(hi(v), k2);
      a0 = f64x2.add(a0, d0); a1 = f64x2.add(a1, d1);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0)); q1 = f64x2.add(q1, f64x2.mul(d1, d1));
    }
    let s1 = hsum(f64x2.add(a0, a1)), s2 = hsum(f64x2.add(q0, q1));
    for (; i < D; i++) {
      const d = <f64>load<f32>(x + (<usize>i << 2)) - K;
      s1 += d; s2 += d * d;
    }
    const md = s1 / <f64>D;
    const r = 1.0 / Math.sqrt(max(s2 / <f64>D - md * md, 0) + eps);
    store<f64>(mean + (<usize>row << 3), K + md);
    store<f64>(rstd + (<usize>row << 3), r);
    // normalize channel by channel, each with its own scale and shift
    const kf = f32x4.splat(<f32>K), mf = f32x4.splat(<f32>md);
    const c0 = (row % G) * Cg;
    for (let j = 0; j < Cg; j++) {
      const c = c0 + j;
      const sc = <f32>(weight ? r * <f64>load<f32>(weight + (<usize>c << 2)) : r);
      const sh: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
      const xs = x + <usize>j * runBytes, ys = y + <usize>j * runBytes;
      const scv = f32x4.splat(sc), shv = f32x4.splat(sh);
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        v128.store(ys + o, f32x4.add(f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xs + o), kf), mf), scv), shv));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        store<f32>(ys + o, (load<f32>(xs + o) - <f32>K - <f32>md) * sc + sh);
      }
    }
  }
}

/**
 * GroupNorm backward on rows [r0, r1): dinp = rstd (dxhat - mean(dxhat) -
 * xhat mean(dxhat xhat)) with dxhat = dout weight[c] (skipped when dinp is 0);
 * dwAcc[c] += sum dout xhat and dbAcc[c] += sum dout, in f64 (skipped when 0).
 */
export function groupnormBackward(
  dinp: usize, dwAcc: usize, dbAcc: usize, dout: usize, inp: usize, weight: usize,
  mean: usize, rstd: usize, N: i32, C: i32, S: i32, G: i32, r0: i32, r1: i32,
): void {
  const Cg = C / G;
  const D = Cg * S;
  const rowBytes = <usize>D << 2;
  const runBytes = <usize>S << 2;
  for (let row = r0; row < r1; row++) {
    const x = inp + <usize>row * rowBytes;
    const g = dout + <usize>row * rowBytes;
    const K = load<f32>(x);
    const m = load<f64>(mean + (<usize>row << 3));
    const r = load<f64>(rstd + (<usize>row << 3));
    const mkS = <f32>(m - <f64>K), rS = <f32>r;
    const kf = f32x4.splat(K), mk = f32x4.splat(mkS), rf = f32x4.splat(rS), k2 = f64x2.splat(<f64>K);
    const c0 = (row % G) * Cg;
    if (D < SMALL_D) {
      smallRowBackward(dinp, dwAcc, dbAcc, dout, inp, weight, m, r, S, Cg, D, row, c0);
      continue;
    }
    // pass 1: per-channel sum(dout) and sum(dout xhat), f64
    let sumD: f64 = 0, sumDX: f64 = 0;
    for (let j = 0; j < Cg; j++) {
      const c = c0 + j;
      const xs = x + <usize>j * runBytes, gs = g + <usize>j * runBytes;
      let g0 = f64x2.splat(0), g1 = f64x2.splat(0), p0 = f64x2.splat(0), p1 = f64x2.splat(0);
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        const gv = v128.load(gs + o), xv = v128.load(xs + o);
        const gl = lo(gv), gh = hi(gv);
        g0 = f64x2.add(g0, gl); g1 = f64x2.add(g1, gh);
        p0 = f64x2.add(p0, f64x2.mul(gl, f64x2.sub(lo(xv), k2))); p1 = f64x2.add(p1, f64x2.mul(gh, f64x2.sub(hi(xv), k2)));
      }
      let sg = hsum(f64x2.add(g0, g1)), sgk = hsum(f64x2.add(p0, p1));
      for (; s < S; s++) {
        const o = <usize>s << 2;
        const gv = <f64>load<f32>(gs + o);
        sg += gv;
        sgk += gv * (<f64>load<f32>(xs + o) - <f64>K);
      }
      // sum dout xhat = rstd (sum dout (x - K) - (mean - K) sum dout), all f64
      const sgx = r * (sgk - (m - <f64>K) * sg);
      const w: f64 = weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
      sumD += w * sg;
      sumDX += w * sgx;
      if (dbAcc) store<f64>(dbAcc + (<usize>c << 3), load<f64>(dbAcc + (<usize>c << 3)) + sg);
      if (dwAcc) store<f64>(dwAcc + (<usize>c << 3), load<f64>(dwAcc + (<usize>c << 3)) + sgx);
    }
    if (!dinp) continue;
    const d = dinp + <usize>row * rowBytes;
    const meanD = sumD / <f64>D, meanDX = sumDX / <f64>D;
    const mD = f32x4.splat(<f32>meanD), mDX = f32x4.splat(<f32>meanDX);
    for (let j = 0; j < Cg; j++) {
      const c = c0 + j;
      const wS: f32 = weight ? load<f32>(weight + (<usize>c << 2)) : 1;
      const wv = f32x4.splat(wS);
      const xs = x + <usize>j * runBytes, gs = g + <usize>j * runBytes, ds = d + <usize>j * runBytes;
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xs + o), kf), mk), rf);
        const dn = f32x4.mul(v128.load(gs + o), wv);
        v128.store(ds + o, f32x4.mul(f32x4.sub(f32x4.sub(dn, mD), f32x4.mul(xh, mDX)), rf));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        const xh = (load<f32>(xs + o) - K - mkS) * rS;
        store<f32>(ds + o, (load<f32>(gs + o) * wS - <f32>meanD - xh * <f32>meanDX) * rS);
      }
    }
  }
}
