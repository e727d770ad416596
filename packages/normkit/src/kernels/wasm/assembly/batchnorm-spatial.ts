/**
 * BatchNorm (Ioffe & Szegedy 2015, arXiv:1502.03167) for inputs with spatial
 * dims, [N, C, S] with S > 1 (NCHW: S = H*W), 128-bit SIMD; the WebAssembly
 * twin of src/kernels/js/batchnorm.ts for that layout (S = 1 is batchnorm.ts
 * here, vectorized across channels). Also the evaluation-mode backward for
 * S = 1 (`batchnormBackwardEval1`).
 *
 * Shapes: inp, out, dout, dinp [N, C, S] f32, element (n, c, s) at
 * (n*C + c)*S + s, so a channel is N contiguous runs of S values; weight,
 * bias [C] f32 (pointer 0 = none); mean, rstd [C] f64; sD, sX [C] f64 outputs
 * of the backward (sum dout, sum dout xhat: the caller writes dbias and
 * dweight from them). Kernels work on channels [c0, c1) so threads can split
 * the channels.
 *
 * Exactness: each channel is shifted by its element (0, c, 0) K, promoted to
 * f64 before subtracting, and the shifted sum and sum of squares accumulate
 * in f64x2 in one pass; with K an element of the channel, (mean - K)^2 <= M
 * var, so var = S2/M - (S1/M)^2 loses at most log10(M) of f64's 16 digits
 * (exact for float32 data; a constant channel gives var = 0 exactly). The
 * output runs in f32x4 on (x - K) - (mean - K). Backward sums are f64:
 * sum dout and sum dout (x - K) (exact products of promoted f32 values), then
 * sum dout xhat = rstd (sum dout (x - K) - (mean - K) sum dout), accurate even
 * when it is a near cancellation; dinp runs in f32x4 except when a
 * channel has fewer than SMALL_M values, where it is a near-total
 * cancellation (M = 2: O(eps/var) of its terms) and runs in f64.
 */

import { lo, hi, hsum } from './lanes';

/** Channels with fewer values than this take the f64 path of the training backward. */
const SMALL_M: i32 = 16;

/** One channel with M < SMALL_M values of the training backward, entirely in f64 (as the TypeScript kernel). */
function smallChannelBackward(
  dinp: usize, sD: usize, sX: usize, dout: usize, inp: usize,
  m: f64, r: f64, w: f64, N: i32, S: i32, stride: usize, base: usize, c: i32,
): void {
  let sg: f64 = 0, sgx: f64 = 0;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const o = base + <usize>n * stride + (<usize>s << 2);
      const gs = <f64>load<f32>(dout + o);
      sg += gs;
      sgx += gs * (<f64>load<f32>(inp + o) - m) * r;
    }
  }
  store<f64>(sD + (<usize>c << 3), sg);
  store<f64>(sX + (<usize>c << 3), sgx);
  if (!dinp) return;
  const M = <f64>N * <f64>S;
  const meanD = w * sg / M, meanDX = w * sgx / M;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const o = base + <usize>n * stride + (<usize>s << 2);
      const xh = (<f64>load<f32>(inp + o) - m) * r;
      store<f32>(dinp + o, <f32>(r * (w * <f64>load<f32>(dout + o) - meanD - xh * meanDX)));
    }
  }
}

/** Training forward on channels [c0, c1): batch statistics into mean, rstd; out normalized. */
export function batchnormForwardTrainS(
  out: usize, mean: usize, rstd: usize, inp: usize, weight: usize, bias: usize,
  N: i32, C: i32, S: i32, eps: f64, c0: i32, c1: i32,
): void {
  const run = <usize>S << 2;
  const stride = <usize>C * run;
  for (let c = c0; c < c1; c++) {
    const base = <usize>c * run;
    const K = <f64>load<f32>(inp + base);
    const k2 = f64x2.splat(K);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
    let s1: f64 = 0, s2: f64 = 0;
    for (let n = 0; n < N; n++) {
      const x = inp + base + <usize>n * stride;
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const v = v128.load(x + (<usize>s << 2));
        const d0 = f64x2.sub(lo(v), k2), d1 = f64x2.sub(hi(v), k2);
        a0 = f64x2.add(a0, d0); a1 = f64x2.add(a1, d1);
        q0 = f64x2.add(q0, f64x2.mul(d0, d0)); q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      }
      for (; s < S; s++) {
        const d = <f64>load<f32>(x + (<usize>s << 2)) - K;
        s1 += d; s2 += d * d;
      }
    }
    s1 += hsum(f64x2.add(a0, a1));
    s2 += hsum(f64x2.add(q0, q1));
    const M = <f64>N * <f64>S;
    const md = s1 / M;
    const r = 1.0 / Math.sqrt(max(s2 / M - md * md, 0) + eps);
    store<f64>(mean + (<usize>c << 3), K + md);
    store<f64>(rstd + (<usize>c << 3), r);
    const sc = <f32>(weight ? r * <f64>load<f32>(weight + (<usize>c << 2)) : r);
    const sh: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
    const kf = f32x4.splat(<f32>K), mf = f32x4.splat(<f32>md), scv = f32x4.splat(sc), shv = f32x4.splat(sh);
    for (let n = 0; n < N; n++) {
      const x = inp + base + <usize>n * stride, y = out + base + <usize>n * stride;
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        v128.store(y + o, f32x4.add(f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), kf), mf), scv), shv));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        store<f32>(y + o, (load<f32>(x + o) - <f32>K - <f32>md) * sc + sh);
      }
    }
  }
}

/**
 * Backward on channels [c0, c1): sD[c] = sum dout, sX[c] = sum dout xhat (f64);
 * when dinp != 0, training mode (`train` = 1, through the batch statistics):
 *   dinp = rstd (w dout - w sD/M - xhat w sX/M)
 * evaluation mode (`train` = 0, constant running statistics): dinp = dout w rstd.
 */
export function batchnormBackwardS(
  dinp: usize, sD: usize, sX: usize, dout: usize, inp: usize, weight: usize, mean: usize, rstd: usize,
  N: i32, C: i32, S: i32, train: i32, c0: i32, c1: i32,
): void {
  const run = <usize>S << 2;
  const stride = <usize>C * run;
  const M = N * S;
  for (let c = c0; c < c1; c++) {
    const base = <usize>c * run;
    const K = load<f32>(inp + base);
    const m = load<f64>(mean + (<usize>c << 3));
    const r = load<f64>(rstd + (<usize>c << 3));
    const w: f64 = weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
    const mkS = <f32>(m - <f64>K), rS = <f32>r;
    const kf = f32x4.splat(K), mk = f32x4.splat(mkS), rf = f32x4.splat(rS), k2 = f64x2.splat(<f64>K);
    if (train && M < SMALL_M) {
      smallChannelBackward(dinp, sD, sX, dout, inp, m, r, w, N, S, stride, base, c);
      continue;
    }
    let g0 = f64x2.splat(0), g1 = f64x2.splat(0), p0 = f64x2.splat(0), p1 = f64x2.splat(0);
    let sg: f64 = 0, sgx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const x = inp + base + <usize>n * stride, g = dout + base + <usize>n * stride;
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        const gv = v128.load(g + o), xv = v128.load(x + o);
        const gl = lo(gv), gh = hi(gv);
        g0 = f64x2.add(g0, gl); g1 = f64x2.add(g1, gh);
        p0 = f64x2.add(p0, f64x2.mul(gl, f64x2.sub(lo(xv), k2))); p1 = f64x2.add(p1, f64x2.mul(gh, f64x2.sub(hi(xv), k2)));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        const gs = <f64>load<f32>(g + o);
        sg += gs;
        sgx += gs * (<f64>load<f32>(x + o) - <f64>K);
      }
    }
    sg += hsum(f64x2.add(g0, g1));
    sgx += hsum(f64x2.add(p0, p1));
    // sgx holds sum dout (x - K) so far: sum dout xhat = rstd (that - (mean - K) sum dout), all f64
    sgx = r * (sgx - (m - <f64>K) * sg);
    store<f64>(sD + (<usize>c << 3), sg);
    store<f64>(sX + (<usize>c << 3), sgx);
    if (!dinp) continue;
    if (!train) {
      const a = f32x4.splat(<f32>(w * r));
      for (let n = 0; n < N; n++) {
        const g = dout + base + <usize>n * stride, d = dinp + base + <usize>n * stride;
        let s = 0;
        for (; s + 4 <= S; s += 4) v128.store(d + (<usize>s << 2), f32x4.mul(v128.load(g + (<usize>s << 2)), a));
        for (; s < S; s++) store<f32>(d + (<usize>s << 2), load<f32>(g + (<usize>s << 2)) * <f32>(w * r));
      }
      continue;
    }
    const meanD = w * sg / <f64>M, meanDX = w * sgx / <f64>M;
    const wS = <f32>w, mDS = <f32>meanD, mDXS = <f32>meanDX;
    const wv = f32x4.splat(wS), mD = f32x4.splat(mDS), mDX = f32x4.splat(mDXS);
    for (let n = 0; n < N; n++) {
      const x = inp + base + <usize>n * stride, g = dout + base + <usize>n * stride, d = dinp + base + <usize>n * stride;
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), kf), mk), rf);
        const dn = f32x4.mul(v128.load(g + o), wv);
        v128.store(d + o, f32x4.mul(f32x4.sub(f32x4.sub(dn, mD), f32x4.mul(xh, mDX)), rf));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        const xh = (load<f32>(x + o) - K - mkS) * rS;
        store<f32>(d + o, (load<f32>(g + o) * wS - mDS - xh * mDXS) * rS);
      }
    }
  }
}

/** Evaluation forward on channels [c0, c1): out = (x - rm[c]) sc[c] + sh[c], f32 [C] prepared by the caller. */
export function batchnormForwardEvalS(
  out: usize, inp: usize, rm: usize, sc: usize, sh: usize, N: i32, C: i32, S: i32, c0: i32, c1: i32,
): void {
  const run = <usize>S << 2;
  const stride = <usize>C * run;
  for (let c = c0; c < c1; c++) {
    const base = <usize>c * run;
    const mS = load<f32>(rm + (<usize>c << 2)), scS = load<f32>(sc + (<usize>c << 2)), shS = load<f32>(sh + (<usize>c << 2));
    const mv = f32x4.splat(mS), scv = f32x4.splat(scS), shv = f32x4.splat(shS);
    for (let n = 0; n < N; n++) {
      const x = inp + base + <usize>n * stride, y = out + base + <usize>n * stride;
      let s = 0;
      for (; s + 4 <= S; s += 4) {
        const o = <usize>s << 2;
        v128.store(y + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), mv), scv), shv));
      }
      for (; s < S; s++) {
        const o = <usize>s << 2;
        store<f32>(y + o, (load<f32>(x + o) - mS) * scS + shS);
      }
    }
  }
}

/**
 * Evaluation-mode backward for S = 1 ([N, C], channels strided), vectorized
 * across channels: sD[c] = sum dout, sX[c] = sum dout (x - mean) rstd (f64,
 * zeroed here), dinp = dout a[c] with a = w rstd, f32 [C] prepared by the
 * caller (dinp = 0 skips it).
 */
export function batchnormBackwardEval1(
  dinp: usize, sD: usize, sX: usize, dout: usize, inp: usize, mean: usize, rstd: usize, a: usize, N: i32, C: i32,
): void {
  const row = <usize>C << 2;
  memory.fill(sD, 0, <usize>C << 3);
  memory.fill(sX, 0, <usize>C << 3);
  const C2 = C & ~1;
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, g = dout + <usize>n * row;
    for (let c = 0; c < C2; c += 2) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const gd = lo(v128.load64_zero(g + o));
      const xh = f64x2.mul(f64x2.sub(lo(v128.load64_zero(x + o)), v128.load(mean + o8)), v128.load(rstd + o8));
      v128.store(sD + o8, f64x2.add(v128.load(sD + o8), gd));
      v128.store(sX + o8, f64x2.add(v128.load(sX + o8), f64x2.mul(gd, xh)));
    }
    for (let c = C2; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const gs = <f64>load<f32>(g + o);
      store<f64>(sD + o8, load<f64>(sD + o8) + gs);
      store<f64>(sX + o8, load<f64>(sX + o8) + gs * (<f64>load<f32>(x + o) - load<f64>(mean + o8)) * load<f64>(rstd + o8));
    }
  }
  if (!dinp) return;
  const C4 = C & ~3;
  for (let n = 0; n < N; n++) {
    const g = dout + <usize>n * row, d = dinp + <usize>n * row;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      v128.store(d + o, f32x4.mul(v128.load(g + o), v128.load(a + o)));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(d + o, load<f32>(g + o) * load<f32>(a + o));
    }
  }
}
