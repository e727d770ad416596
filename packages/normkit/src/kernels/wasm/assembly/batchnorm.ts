/**
 * BatchNorm for inputs viewed as [N, C] (S = 1: features of an MLP, the
 * layout whose channels are strided), vectorized across channels; the
 * WebAssembly twin of src/kernels/js/batchnorm.ts for that layout (larger S
 * stays on the TypeScript kernel, whose channel runs are contiguous).
 *
 * Shapes: inp, out, dout, dinp [N, C] f32; weight, bias, runningMean,
 * runningVar [C] f32 (pointer 0 = none); mean, rstd [C] f64; scratch
 * blocks as documented per kernel.
 *
 * Exactness: each channel is shifted by its element in row 0 (K), promoted
 * to f64 before subtracting, and the shifted sum and sum of squares
 * accumulate in f64 per channel. With K an element of the channel,
 * (mean - K)^2 <= M var, so var = S2/M - (S1/M)^2 loses at most log10(M)
 * of f64's 16 digits: exact for float32 data.
 */

import { lo, hi, madd64 } from './lanes';

/**
 * Training forward. `s1`, `s2` are f64 [C] scratch; `mk`, `sc`, `sh` f32 [C]
 * scratch (mean - K, rstd * w, bias). C must be a multiple of 4 up to the
 * scalar tail, handled separately.
 */
export function batchnormForwardTrain1(
  out: usize, mean: usize, rstd: usize, inp: usize, weight: usize, bias: usize,
  N: i32, C: i32, eps: f64, s1: usize, s2: usize, mk: usize, sc: usize, sh: usize,
): void {
  const row = <usize>C << 2;
  memory.fill(s1, 0, <usize>C << 3);
  memory.fill(s2, 0, <usize>C << 3);
  const C4 = C & ~3, C2 = C & ~1;
  // Four rows per pass, two channels per f64x2: each channel's shift K is
  // promoted once per four rows, the four differences' sum and squares join
  // s1/s2 with one load and store each (fused in the relaxed-SIMD build).
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const x0 = inp + <usize>n * row, x1 = x0 + row, x2 = x1 + row, x3 = x2 + row;
    for (let c = 0; c < C2; c += 2) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const k = lo(v128.load64_zero(inp + o));
      const a0 = f64x2.sub(lo(v128.load64_zero(x0 + o)), k), a1 = f64x2.sub(lo(v128.load64_zero(x1 + o)), k);
      const a2 = f64x2.sub(lo(v128.load64_zero(x2 + o)), k), a3 = f64x2.sub(lo(v128.load64_zero(x3 + o)), k);
      v128.store(s1 + o8, f64x2.add(v128.load(s1 + o8), f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3))));
      v128.store(s2 + o8, madd64(a3, a3, madd64(a2, a2, madd64(a1, a1, madd64(a0, a0, v128.load(s2 + o8))))));
    }
    for (let c = C2; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const K = <f64>load<f32>(inp + o);
      const d0 = <f64>load<f32>(x0 + o) - K, d1 = <f64>load<f32>(x1 + o) - K;
      const d2 = <f64>load<f32>(x2 + o) - K, d3 = <f64>load<f32>(x3 + o) - K;
      store<f64>(s1 + o8, load<f64>(s1 + o8) + ((d0 + d1) + (d2 + d3)));
      store<f64>(s2 + o8, load<f64>(s2 + o8) + d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3);
    }
  }
  for (; n < N; n++) {
    const x = inp + <usize>n * row;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const v = v128.load(x + o), k = v128.load(inp + o);
      const d0 = f64x2.sub(lo(v), lo(k)), d1 = f64x2.sub(hi(v), hi(k));
      v128.store(s1 + o8, f64x2.add(v128.load(s1 + o8), d0));
      v128.store(s1 + o8, f64x2.add(v128.load(s1 + o8, 16), d1), 16);
      v128.store(s2 + o8, f64x2.add(v128.load(s2 + o8), f64x2.mul(d0, d0)));
      v128.store(s2 + o8, f64x2.add(v128.load(s2 + o8, 16), f64x2.mul(d1, d1)), 16);
    }
    for (let c = C4; c < C; c++) {
      const d = <f64>load<f32>(x + (<usize>c << 2)) - <f64>load<f32>(inp + (<usize>c << 2));
      store<f64>(s1 + (<usize>c << 3), load<f64>(s1 + (<usize>c << 3)) + d);
      store<f64>(s2 + (<usize>c << 3), load<f64>(s2 + (<usize>c << 3)) + d * d);
    }
  }
  const M = <f64>N;
  for (let c = 0; c < C; c++) {
    const K = <f64>load<f32>(inp + (<usize>c << 2));
    const md = load<f64>(s1 + (<usize>c << 3)) / M;
    const v = max(load<f64>(s2 + (<usize>c << 3)) / M - md * md, 0);
    const r = 1.0 / Math.sqrt(v + eps);
    store<f64>(mean + (<usize>c << 3), K + md);
    store<f64>(rstd + (<usize>c << 3), r);
    store<f32>(mk + (<usize>c << 2), <f32>md);
    store<f32>(sc + (<usize>c << 2), <f32>(weight ? r * <f64>load<f32>(weight + (<usize>c << 2)) : r));
    store<f32>(sh + (<usize>c << 2), bias ? load<f32>(bias + (<usize>c << 2)) : 0);
  }
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, y = out + <usize>n * row;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.sub(f32x4.sub(v128.load(x + o), v128.load(inp + o)), v128.load(mk + o));
      v128.store(y + o, f32x4.add(f32x4.mul(d, v128.load(sc + o)), v128.load(sh + o)));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(y + o, (load<f32>(x + o) - load<f32>(inp + o) - load<f32>(mk + o)) * load<f32>(sc + o) + load<f32>(sh + o));
    }
  }
}

/**
 * Training backward: sumD = sum_n dout, sumDX = sum_n dout xhat into f64 [C]
 * scratch `sD`, `sX` (the caller writes dbias, dweight from them); dinp =
 * w rstd (dout - sumD/M - xhat sumDX/M) when dinp != 0. `mk`, `a`, `bD`, `bX`
 * are f64 [C] scratch. Everything runs in f64x2: with few rows per channel
 * dinp is a near-total cancellation (two rows: exactly 0 but for eps), which
 * float32 arithmetic would turn into noise.
 */
export function batchnormBackward1(
  dinp: usize, dout: usize, inp: usize, weight: usize, mean: usize, rstd: usize,
  N: i32, C: i32, sD: usize, sX: usize, mk: usize, a: usize, bD: usize, bX: usize,
): void {
  const row = <usize>C << 2;
  memory.fill(sD, 0, <usize>C << 3);
  memory.fill(sX, 0, <usize>C << 3);
  for (let c = 0; c < C; c++) {
    store<f64>(mk + (<usize>c << 3), load<f64>(mean + (<usize>c << 3)) - <f64>load<f32>(inp + (<usize>c << 2)));
  }
  const C2 = C & ~1;
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, g = dout + <usize>n * row;
    for (let c = 0; c < C2; c += 2) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const gv = v128.load64_zero(g + o), xv = v128.load64_zero(x + o), kv = v128.load64_zero(inp + o);
      const gd = lo(gv);
      const xh = f64x2.mul(f64x2.sub(f64x2.sub(lo(xv), lo(kv)), v128.load(mk + o8)), v128.load(rstd + o8));
      v128.store(sD + o8, f64x2.add(v128.load(sD + o8), gd));
      v128.store(sX + o8, f64x2.add(v128.load(sX + o8), f64x2.mul(gd, xh)));
    }
    for (let c = C2; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const gs = <f64>load<f32>(g + o);
      const xh = (<f64>load<f32>(x + o) - <f64>load<f32>(inp + o) - load<f64>(mk + o8)) * load<f64>(rstd + o8);
      store<f64>(sD + o8, load<f64>(sD + o8) + gs);
      store<f64>(sX + o8, load<f64>(sX + o8) + gs * xh);
    }
  }
  if (!dinp) return;
  const M = <f64>N;
  for (let c = 0; c < C; c++) {
    const o8 = <usize>c << 3;
    const w: f64 = weight ? <f64>load<f32>(weight + (<usize>c << 2)) : 1.0;
    store<f64>(a + o8, w * load<f64>(rstd + o8));
    store<f64>(bD + o8, load<f64>(sD + o8) / M);
    store<f64>(bX + o8, load<f64>(sX + o8) / M);
  }
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, g = dout + <usize>n * row, d = dinp + <usize>n * row;
    for (let c = 0; c < C2; c += 2) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const xv = v128.load64_zero(x + o), kv = v128.load64_zero(inp + o), gv = v128.load64_zero(g + o);
      const xh = f64x2.mul(f64x2.sub(f64x2.sub(lo(xv), lo(kv)), v128.load(mk + o8)), v128.load(rstd + o8));
      const t = f64x2.sub(f64x2.sub(lo(gv), v128.load(bD + o8)), f64x2.mul(xh, v128.load(bX + o8)));
      v128.store64_lane(d + o, f32x4.demote_f64x2_zero(f64x2.mul(t, v128.load(a + o8))), 0);
    }
    for (let c = C2; c < C; c++) {
      const o = <usize>c << 2, o8 = <usize>c << 3;
      const xh = (<f64>load<f32>(x + o) - <f64>load<f32>(inp + o) - load<f64>(mk + o8)) * load<f64>(rstd + o8);
      store<f32>(d + o, <f32>((<f64>load<f32>(g + o) - load<f64>(bD + o8) - xh * load<f64>(bX + o8)) * load<f64>(a + o8)));
    }
  }
}

/** Evaluation forward: out = (x - runningMean) * sc + sh, with sc = w / sqrt(runningVar + eps), sh = bias, f32 [C] prepared by the caller. */
export function batchnormForwardEval1(out: usize, inp: usize, rm: usize, sc: usize, sh: usize, N: i32, C: i32): void {
  const row = <usize>C << 2;
  const C4 = C & ~3;
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, y = out + <usize>n * row;
    for (let c = 0; c < C4; c += 4) {
      const o = <usize>c << 2;
      v128.store(y + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), v128.load(rm + o)), v128.load(sc + o)), v128.load(sh + o)));
    }
    for (let c = C4; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(y + o, (load<f32>(x + o) - load<f32>(rm + o)) * load<f32>(sc + o) + load<f32>(sh + o));
    }
  }
}
