/**
 * Softmax and log-softmax along one axis of [outer, D, inner] (the shapes of
 * src/kernels/js/softmax.ts), forward above backward, 128-bit SIMD; same
 * formulas as the TypeScript kernel:
 *
 *   softmax:     y_i = exp(x_i - m) / sum_j exp(x_j - m),  m = max_j x_j
 *   backward:    dx_i = y_i (dy_i - sum_j dy_j y_j)
 *   logSoftmax:  y_i = x_i - (m + log(sum_j exp(x_j - m)))
 *   backward:    dx_i = dy_i - exp(y_i) sum_j dy_j
 *
 * Shapes: inp, out, dout, dinp [outer, D, inner] f32. Kernels work on the
 * outer indices [r0, r1). The last axis (inner = 1: attention, cross-entropy)
 * runs along each line of D contiguous values; other axes (inner > 1) run
 * four lines at once, one per f32x4 lane, across the contiguous inner axis
 * (a column block's D values are `inner` apart), the inner % 4 lines left
 * over one at a time through the same scalar steps as a row's tail.
 *
 * Numerics: x - m is one correctly rounded f32 subtraction (what rounding an
 * exact f64 difference to f32 gives), exp is a vector polynomial accurate to
 * about 1 ulp of f32 (expf4 below), sums accumulate in f64; log-softmax
 * subtracts m + log(s) from the promoted x in f64 and rounds once; the
 * softmax backward forms y (dy - s) in f64 too.
 */

import { lo, hi, hsum, join } from './lanes';

/**
 * exp of four f32 lanes (Cephes expf): x = n ln2 + r with |r| <= ln2/2 (ln2
 * split in two so n ln2 is exact), exp(r) by a degree-7 minimax polynomial,
 * times 2^n built in the exponent bits. n is rounded with the 1.5 * 2^23
 * trick, whose float bits also hold n + 0x4B400000, so 2^n needs no
 * float-to-int conversion. Below -87.33 (where 2^n would leave the normal
 * range) the result is 0, as the true value rounds to at most 1.2e-38;
 * NaN stays NaN (pmax/pmin return their first operand when it is NaN);
 * exp(-inf) = 0.
 */
@inline export function expf4(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(-87.33));
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.33)), f32x4.splat(88.3));
  const big = f32x4.splat(12582912.0); // 1.5 * 2^23
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), big);
  const n = f32x4.sub(t, big);
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // low 9 bits of t's bits are n (two's complement), + 127 is the biased exponent
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), under);
}

/** Scalar exp through the same polynomial (row tails), so every element of a row is computed alike. */
@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

/** Row maximum; a row of all -inf gives 0 (keeps exp finite, as the TypeScript kernel). */
@inline export function rowMax(x: usize, D: i32): f32 {
  let mv = f32x4.splat(-Infinity);
  let i = 0;
  // pmax(m, v) = m < v ? v : m: ignores a NaN v, as the TypeScript kernel's `v > m` (the NaN then poisons the sum)
  for (; i + 4 <= D; i += 4) mv = f32x4.pmax(mv, v128.load(x + (<usize>i << 2)));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; i < D; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
  return m === -Infinity ? 0 : m;
}

/** Four lanes' f64 sums (lanes 0-1 in a, 2-3 in b) as the f32x4 of their reciprocals, each 1/s rounded once. */
@inline function recip4(a: v128, b: v128): v128 {
  const one = f64x2.splat(1);
  return join(f64x2.div(one, a), f64x2.div(one, b));
}

/** ln of both f64 lanes (scalar Math.log per lane: there is no vector log, and it runs once per line). */
@inline function log2l(v: v128): v128 {
  return f64x2.replace_lane(f64x2.splat(Math.log(f64x2.extract_lane(v, 0))), 1, Math.log(f64x2.extract_lane(v, 1)));
}

/**
 * Forward for inner > 1: outer indices [r0, r1), each a [D, inner] block
 * whose inner columns are the lines. Four adjacent columns per f32x4, so
 * every load is one contiguous vector; per lane the steps of the row code
 * (max, exp(x - m) in f32, sum in f64, one rounding of x - (m + log s)).
 */
function forwardColumns(out: usize, inp: usize, D: i32, inner: i32, log: i32, r0: i32, r1: i32): void {
  const stride = <usize>inner << 2;
  const blockBytes = <usize>D * stride;
  const ninf = f32x4.splat(-Infinity);
  for (let o = r0; o < r1; o++) {
    const xb = inp + <usize>o * blockBytes, yb = out + <usize>o * blockBytes;
    let q = 0;
    for (; q + 4 <= inner; q += 4) {
      const x = xb + (<usize>q << 2), y = yb + (<usize>q << 2);
      let mv = ninf;
      // pmax ignores a NaN x, as the TypeScript kernel's `v > m` (the NaN then poisons the sum)
      for (let i = 0; i < D; i++) mv = f32x4.pmax(mv, v128.load(x + <usize>i * stride));
      mv = v128.andnot(mv, f32x4.eq(mv, ninf)); // a line of all -inf: m = 0 (keeps exp finite)
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      if (log) {
        for (let i = 0; i < D; i++) {
          const e = expf4(f32x4.sub(v128.load(x + <usize>i * stride), mv));
          a0 = f64x2.add(a0, lo(e)); a1 = f64x2.add(a1, hi(e));
        }
        const l0 = f64x2.add(lo(mv), log2l(a0)), l1 = f64x2.add(hi(mv), log2l(a1));
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          const v = v128.load(x + k);
          v128.store(y + k, join(f64x2.sub(lo(v), l0), f64x2.sub(hi(v), l1)));
        }
      } else {
        // exp once: store it, then scale in place (out may be inp: each value is read before it is written)
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          const e = expf4(f32x4.sub(v128.load(x + k), mv));
          v128.store(y + k, e);
          a0 = f64x2.add(a0, lo(e)); a1 = f64x2.add(a1, hi(e));
        }
        const rv = recip4(a0, a1);
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          v128.store(y + k, f32x4.mul(v128.load(y + k), rv));
        }
      }
    }
    for (; q < inner; q++) {
      const x = xb + (<usize>q << 2), y = yb + (<usize>q << 2);
      let m: f32 = -Infinity;
      for (let i = 0; i < D; i++) {
        const v = load<f32>(x + <usize>i * stride);
        if (v > m) m = v;
      }
      if (m == -Infinity) m = 0;
      let s: f64 = 0;
      if (log) {
        for (let i = 0; i < D; i++) s += <f64>expf1(load<f32>(x + <usize>i * stride) - m);
        const ls = <f64>m + Math.log(s);
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          store<f32>(y + k, <f32>(<f64>load<f32>(x + k) - ls));
        }
      } else {
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          const e = expf1(load<f32>(x + k) - m);
          store<f32>(y + k, e);
          s += <f64>e;
        }
        const rS = <f32>(1.0 / s);
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          store<f32>(y + k, load<f32>(y + k) * rS);
        }
      }
    }
  }
}

/** Backward for inner > 1 (the layout of forwardColumns): per lane the steps of the row code. */
function backwardColumns(dinp: usize, dout: usize, out: usize, D: i32, inner: i32, log: i32, r0: i32, r1: i32): void {
  const stride = <usize>inner << 2;
  const blockBytes = <usize>D * stride;
  for (let o = r0; o < r1; o++) {
    const gb = dout + <usize>o * blockBytes, yb = out + <usize>o * blockBytes, db = dinp + <usize>o * blockBytes;
    let q = 0;
    for (; q + 4 <= inner; q += 4) {
      const qo = <usize>q << 2;
      const g = gb + qo, y = yb + qo, d = db + qo;
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      if (log) {
        for (let i = 0; i < D; i++) {
          const gv = v128.load(g + <usize>i * stride);
          a0 = f64x2.add(a0, lo(gv)); a1 = f64x2.add(a1, hi(gv));
        }
        const sv = join(a0, a1);
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          v128.store(d + k, f32x4.sub(v128.load(g + k), f32x4.mul(expf4(v128.load(y + k)), sv)));
        }
      } else {
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          const gv = v128.load(g + k), yv = v128.load(y + k);
          a0 = f64x2.add(a0, f64x2.mul(lo(gv), lo(yv))); a1 = f64x2.add(a1, f64x2.mul(hi(gv), hi(yv)));
        }
        // dy - s in f64, as the row code (a saturated probability makes them agree to many digits)
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          const gv = v128.load(g + k), yv = v128.load(y + k);
          v128.store(d + k, join(f64x2.mul(lo(yv), f64x2.sub(lo(gv), a0)), f64x2.mul(hi(yv), f64x2.sub(hi(gv), a1))));
        }
      }
    }
    for (; q < inner; q++) {
      const qo = <usize>q << 2;
      const g = gb + qo, y = yb + qo, d = db + qo;
      let s: f64 = 0;
      if (log) {
        for (let i = 0; i < D; i++) s += <f64>load<f32>(g + <usize>i * stride);
        const sS = <f32>s;
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          store<f32>(d + k, load<f32>(g + k) - expf1(load<f32>(y + k)) * sS);
        }
      } else {
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          s += <f64>load<f32>(g + k) * <f64>load<f32>(y + k);
        }
        for (let i = 0; i < D; i++) {
          const k = <usize>i * stride;
          store<f32>(d + k, <f32>(<f64>load<f32>(y + k) * (<f64>load<f32>(g + k) - s)));
        }
      }
    }
  }
}

/**
 * Forward on outer indices [r0, r1) of [outer, D, inner]: softmax (log = 0)
 * or log-softmax (log = 1); inner = 1 along rows, inner > 1 by columns.
 */
export function softmaxForward(out: usize, inp: usize, outer: i32, D: i32, inner: i32, log: i32, r0: i32, r1: i32): void {
  if (inner != 1) { forwardColumns(out, inp, D, inner, log, r0, r1); return; }
  const rowBytes = <usize>D << 2;
  for (let row = r0; row < r1; row++) {
    const x = inp + <usize>row * rowBytes, y = out + <usize>row * rowBytes;
    if (log) {
      const m = rowMax(x, D);
      const mv = f32x4.splat(m);
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let i = 0;
      for (; i + 4 <= D; i += 4) {
        const e = expf4(f32x4.sub(v128.load(x + (<usize>i << 2)), mv));
        a0 = f64x2.add(a0, lo(e)); a1 = f64x2.add(a1, hi(e));
      }
      let s = hsum(f64x2.add(a0, a1));
      for (; i < D; i++) s += <f64>expf1(load<f32>(x + (<usize>i << 2)) - m);
      const ls = <f64>m + Math.log(s);
      const lv = f64x2.splat(ls);
      i = 0;
      for (; i + 4 <= D; i += 4) {
        const v = v128.load(x + (<usize>i << 2));
        v128.store(y + (<usize>i << 2), join(f64x2.sub(lo(v), lv), f64x2.sub(hi(v), lv)));
      }
      for (; i < D; i++) store<f32>(y + (<usize>i << 2), <f32>(<f64>load<f32>(x + (<usize>i << 2)) - ls));
    } else {
      softmaxRow(x, y, D, D, 1.0);
    }
  }
}

/** Backward on outer indices [r0, r1) (as the forward): dinp from dout and the forward output `out`. */
export function softmaxBackward(dinp: usize, dout: usize, out: usize, outer: i32, D: i32, inner: i32, log: i32, r0: i32, r1: i32): void {
  if (inner != 1) { backwardColumns(dinp, dout, out, D, inner, log, r0, r1); return; }
  const rowBytes = <usize>D << 2;
  for (let row = r0; row < r1; row++) {
    const g = dout + <usize>row * rowBytes, y = out + <usize>row * rowBytes, d = dinp + <usize>row * rowBytes;
    if (log) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let i = 0;
      for (; i + 4 <= D; i += 4) {
        const gv = v128.load(g + (<usize>i << 2));
        a0 = f64x2.add(a0, lo(gv)); a1 = f64x2.add(a1, hi(gv));
      }
      let s = hsum(f64x2.add(a0, a1));
      for (; i < D; i++) s += <f64>load<f32>(g + (<usize>i << 2));
      const sS = <f32>s;
      const sv = f32x4.splat(sS);
      i = 0;
      for (; i + 4 <= D; i += 4) {
        const o = <usize>i << 2;
        v128.store(d + o, f32x4.sub(v128.load(g + o), f32x4.mul(expf4(v128.load(y + o)), sv)));
      }
      for (; i < D; i++) {
        const o = <usize>i << 2;
        store<f32>(d + o, load<f32>(g + o) - expf1(load<f32>(y + o)) * sS);
      }
    } else {
      softmaxRowBackward(g, y, d, D, D, 1.0);
    }
  }
}

/** Whole-lane mask of the lanes i, i+1, i+2, i+3 that are below v. */
@inline function lanesBelow(i: i32, v: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3)), i32x4.splat(v));
}

/** scale * x[i..i+4) in f32, with the lanes at or past v set to -inf (masked scores). */
@inline function scaledBlock(x: usize, i: i32, v: i32, sv: v128): v128 {
  const z = f32x4.mul(v128.load(x + (<usize>i << 2)), sv);
  if (i + 4 <= v) return z;
  return v128.bitselect(z, f32x4.splat(-Infinity), lanesBelow(i, v));
}

/**
 * One row of softmax(scale x) over its first v of D scores, the rest 0
 * (masked): softmaxForward's rows (v = D, scale 1: an exact multiply) and
 * attentionSoftmaxForward's. The kept scores are scaled in f32, masked lanes
 * of a partial block are -inf (they add exp(-inf) = 0 to the same f64
 * partial sums, in the same order, as softmax(scale x + mask)), and blocks
 * wholly past v are written as zeros without exp.
 */
@inline function softmaxRow(x: usize, y: usize, D: i32, v: i32, s32: f32): void {
  const sv = f32x4.splat(s32), zero = f32x4.splat(0);
  const D4 = D & ~3;
  const vb = min(D4, (v + 3) & ~3); // vector blocks holding a kept score: [0, vb)
  let mv = f32x4.splat(-Infinity);
  let i = 0;
  for (; i < vb; i += 4) mv = f32x4.pmax(mv, scaledBlock(x, i, v, sv));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (i = D4; i < v; i++) m = max(m, s32 * load<f32>(x + (<usize>i << 2)));
  if (m == -Infinity) m = 0;
  const mS = f32x4.splat(m);
  // exp once: store it, then scale in place while the row is in L1
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  for (i = 0; i < vb; i += 4) {
    const e = expf4(f32x4.sub(scaledBlock(x, i, v, sv), mS));
    v128.store(y + (<usize>i << 2), e);
    a0 = f64x2.add(a0, lo(e)); a1 = f64x2.add(a1, hi(e));
  }
  for (; i < D4; i += 4) v128.store(y + (<usize>i << 2), zero);
  let s = hsum(f64x2.add(a0, a1));
  for (i = D4; i < D; i++) {
    let e: f32 = 0;
    if (i < v) { e = expf1(s32 * load<f32>(x + (<usize>i << 2)) - m); s += <f64>e; }
    store<f32>(y + (<usize>i << 2), e);
  }
  const rS = <f32>(1.0 / s);
  const rv = f32x4.splat(rS);
  for (i = 0; i < vb; i += 4) v128.store(y + (<usize>i << 2), f32x4.mul(v128.load(y + (<usize>i << 2)), rv));
  for (i = D4; i < v; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * rS);
}

/**
 * The attention scores' scale, causal mask and softmax in one pass (the
 * TypeScript kernel attentionSoftmaxForward in src/kernels/js/softmax.ts has
 * the formulas): rows [r0, r1) of D scores, row r holding query r % T, whose
 * first v = min(D, r % T + 1) scores are kept when causal (softmaxRow), so
 * the result agrees bit for bit with softmax(scale x + mask), and a causal
 * row does about half the work.
 */
export function attentionSoftmaxForward(out: usize, inp: usize, rows: i32, D: i32, T: i32, scale: f64, causal: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>D << 2;
  for (let row = r0; row < r1; row++) {
    softmaxRow(inp + <usize>row * rowBytes, out + <usize>row * rowBytes, D, causal ? min(D, row % T + 1) : D, <f32>scale);
  }
}

/**
 * One row's backward of softmaxRow: dx = scale y (dy - s), s = sum_j dy_j y_j
 * over the first v scores, zeros past v. Sums and dy - s in f64: where one
 * probability saturates, dy_i and s agree to many digits and an f32
 * difference would be noise. scale = 1 (softmaxBackward's rows) multiplies
 * exactly, as does a power of two.
 */
@inline function softmaxRowBackward(g: usize, y: usize, d: usize, D: i32, v: i32, scale: f64): void {
  const D4 = D & ~3;
  const sc = f64x2.splat(scale), zero = f32x4.splat(0);
  const vb = min(D4, (v + 3) & ~3);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  // a partial block's masked lanes hold y = 0 (the forward wrote it): they add 0
  for (; i < vb; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o), yv = v128.load(y + o);
    a0 = f64x2.add(a0, f64x2.mul(lo(gv), lo(yv))); a1 = f64x2.add(a1, f64x2.mul(hi(gv), hi(yv)));
  }
  let s = hsum(f64x2.add(a0, a1));
  for (i = D4; i < v; i++) s += <f64>load<f32>(g + (<usize>i << 2)) * <f64>load<f32>(y + (<usize>i << 2));
  const sv = f64x2.splat(s);
  for (i = 0; i < vb; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o), yv = v128.load(y + o);
    const r = join(f64x2.mul(f64x2.mul(lo(yv), f64x2.sub(lo(gv), sv)), sc), f64x2.mul(f64x2.mul(hi(yv), f64x2.sub(hi(gv), sv)), sc));
    v128.store(d + o, i + 4 <= v ? r : v128.and(r, lanesBelow(i, v)));
  }
  for (; i < D4; i += 4) v128.store(d + (<usize>i << 2), zero);
  for (i = D4; i < D; i++) {
    const o = <usize>i << 2;
    store<f32>(d + o, i < v ? <f32>(<f64>load<f32>(y + o) * (<f64>load<f32>(g + o) - s) * scale) : 0);
  }
}

/** Backward of attentionSoftmaxForward on rows [r0, r1), one softmaxRowBackward per row. */
export function attentionSoftmaxBackward(dinp: usize, dout: usize, out: usize, rows: i32, D: i32, T: i32, scale: f64, causal: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>D << 2;
  for (let row = r0; row < r1; row++) {
    const o = <usize>row * rowBytes;
    softmaxRowBackward(dout + o, out + o, dinp + o, D, causal ? min(D, row % T + 1) : D, scale);
  }
}
