/**
 * Sums over a contiguous run of axes (the twin of src/kernels/js/reduce.ts):
 * x float32 [outer, R, inner] summed over R into acc float64 [outer, inner].
 * inner > 1: f64x2 across the inner axis, each output in row order (the
 * TypeScript loop's sums exactly); inner = 1: each row with four f64 lanes
 * (two f64x2), combined at the end. Rows [o0, o1) of the outer axis.
 */
export function reduceSum(x: usize, acc: usize, outer: i32, R: i32, inner: i32, o0: i32, o1: i32): void {
  for (let o = o0; o < o1; o++) {
    if (inner == 1) {
      const row = x + (<usize>o * <usize>R << 2);
      let a = f64x2.splat(0), b = f64x2.splat(0);
      let r = 0;
      for (; r + 4 <= R; r += 4) {
        const v = v128.load(row + (<usize>r << 2));
        a = f64x2.add(a, f64x2.promote_low_f32x4(v));
        b = f64x2.add(b, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      }
      const t = f64x2.add(a, b);
      let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
      for (; r < R; r++) s += <f64>load<f32>(row + (<usize>r << 2));
      store<f64>(acc + (<usize>o << 3), s);
      continue;
    }
    const out = acc + (<usize>o * <usize>inner << 3);
    memory.fill(out, 0, <usize>inner << 3);
    for (let r = 0; r < R; r++) {
      const src = x + ((<usize>o * <usize>R + <usize>r) * <usize>inner << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v = v128.load(src + (<usize>i << 2));
        const p = out + (<usize>i << 3);
        v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
        v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
      }
      for (; i < inner; i++) {
        const p = out + (<usize>i << 3);
        store<f64>(p, load<f64>(p) + <f64>load<f32>(src + (<usize>i << 2)));
      }
    }
  }
}
