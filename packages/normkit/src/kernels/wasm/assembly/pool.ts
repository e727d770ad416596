/**
 * Max pooling (the twins of src/kernels/js/pool.ts) on float32: the
 * 2x2 / stride 2 windows of nn.MaxPool2d(2) four at a time in SIMD lanes
 * (3.3-5x the TypeScript loop on [32, 16, 28, 28]: 0.82 ms against 2.7-4.1),
 * every other window by the same scalar loop as the TypeScript one.
 * Positions are int32 flat indices into x.
 */
/**
 * The window rule of the scalar loop below for one candidate in four lanes:
 * take v where it is greater than the best so far or NaN, unless this row
 * of the window already had a NaN (`rowNaN`: the loop's break). Returns the
 * whole-lane mask of the lanes that take v.
 */
@inline function takes(v: v128, best: v128, rowNaN: v128): v128 {
  return v128.andnot(v128.or(f32x4.gt(v, best), f32x4.ne(v, v)), rowNaN);
}

/**
 * Four 2x2 windows at output columns [ow, ow + 4): two rows of eight values,
 * split into even and odd columns, then the rule in window order (row 0
 * left, right; row 1 left, right). Row 0's left value is always taken (the
 * window starts at -inf at that same position), so it starts the best.
 * Values and positions stay in locals: v128 globals cost a store and a load
 * per step (this was 2.4 ns per input element with them, a CNN step's 7.6%).
 */
@inline function pool2x2Block(x: usize, out: usize, arg: usize, rowBase: i32, W: i32, ow: i32): void {
  const p0 = x + (<usize>(rowBase + 2 * ow) << 2), p1 = p0 + (<usize>W << 2);
  const u0 = v128.load(p0), u1 = v128.load(p0, 16), w0 = v128.load(p1), w1 = v128.load(p1, 16);
  const a0 = i32x4.shuffle(u0, u1, 0, 2, 4, 6), a1 = i32x4.shuffle(u0, u1, 1, 3, 5, 7);
  const b0 = i32x4.shuffle(w0, w1, 0, 2, 4, 6), b1 = i32x4.shuffle(w0, w1, 1, 3, 5, 7);
  const ia = i32x4.add(i32x4.splat(rowBase + 2 * ow), i32x4(0, 2, 4, 6)), ib = i32x4.add(ia, i32x4.splat(W));
  const one = i32x4.splat(1), none = i32x4.splat(0);
  let best = a0, idx = ia;
  let t = takes(a1, best, f32x4.ne(a0, a0));
  best = v128.bitselect(a1, best, t); idx = v128.bitselect(i32x4.add(ia, one), idx, t);
  t = takes(b0, best, none);
  best = v128.bitselect(b0, best, t); idx = v128.bitselect(ib, idx, t);
  t = takes(b1, best, f32x4.ne(b0, b0));
  best = v128.bitselect(b1, best, t); idx = v128.bitselect(i32x4.add(ib, one), idx, t);
  v128.store(out + (<usize>ow << 2), best);
  v128.store(arg + (<usize>ow << 2), idx);
}

/**
 * The 2x2, stride 2, unpadded case (nn.MaxPool2d(2), every CNN's) four
 * windows at a time. A row whose width is not a multiple of four ends with
 * one block at OW - 4, overlapping the last (it writes the same values
 * again), so no window goes to the scalar loop. Returns the first output
 * column it did not do.
 */
@inline function pool2x2Row(x: usize, out: usize, arg: usize, rowBase: i32, W: i32, OW: i32): i32 {
  let ow = 0;
  for (; ow + 4 <= OW && 2 * ow + 8 <= W; ow += 4) pool2x2Block(x, out, arg, rowBase, W, ow);
  if (ow < OW && OW >= 4 && 2 * OW <= W) { pool2x2Block(x, out, arg, rowBase, W, OW - 4); ow = OW; }
  return ow;
}

export function maxPool2dForward(
  x: usize, out: usize, arg: usize,
  NC: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  let o: usize = 0;
  for (let nc = 0; nc < NC; nc++) {
    const base = nc * H * W;
    const fast = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = max(0, oh * sh - ph);
      const h1 = min(H, oh * sh - ph + kh);
      let ow = 0;
      if (fast && h1 - h0 == 2) {
        ow = pool2x2Row(x, out + (o << 2), arg + (o << 2), base + h0 * W, W, OW);
        o += <usize>ow;
      }
      for (; ow < OW; ow++, o++) {
        const w0 = max(0, ow * sw - pw);
        const w1 = min(W, ow * sw - pw + kw);
        let best: f32 = -Infinity;
        let bi = base + h0 * W + w0;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) {
            const v = load<f32>(x + (<usize>(row + iw) << 2));
            if (v > best || v != v) {
              best = v;
              bi = row + iw;
              if (v != v) break;
            }
          }
        }
        store<f32>(out + (o << 2), best);
        store<i32>(arg + (o << 2), bi);
      }
    }
  }
}

/** g[idx[o]] += dy[o], o < n, in order. */
export function scatterAdd(g: usize, dy: usize, idx: usize, n: i32): void {
  for (let o = 0; o < n; o++) {
    const p = g + (<usize>load<i32>(idx + (<usize>o << 2)) << 2);
    store<f32>(p, load<f32>(p) + load<f32>(dy + (<usize>o << 2)));
  }
}
