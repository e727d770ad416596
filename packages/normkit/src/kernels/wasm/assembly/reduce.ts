/**
 * Sums over a contiguous run of axes (the twin of src/kernels/js/reduce.ts):
 * x float32 [outer, R, inner] summed over R into acc float64 [outer, inner].
 * inner > 1: f64x2 across the inner axis, each output in row order (the
 * TypeScript loop's sums exactly); inner = 1: each row with four f64 lanes
 * (two f64x2), combined at the end. Rows [o0, o1) of the outer axis.
 */

import { addToF64 } from './lanes';
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
        addToF64(out + (<usize>i << 3), v);
      }
      for (; i < inner; i++) {
        const p = out + (<usize>i << 3);
        store<f64>(p, load<f64>(p) + <f64>load<f32>(src + (<usize>i << 2)));
      }
    }
  }
}

/**
 * Maxima over R (the twin of reduceMax in src/kernels/js/reduce.ts): x f32
 * [outer, R, inner] -> best f32 [outer, inner], at i32 [outer, inner], the
 * first position of the maximum along R, or of the first NaN. A lane takes
 * a new value when it is greater, or NaN over a number (the TypeScript rule,
 * so NaN sticks). inner >= 4: lanes across the inner axis, r in order;
 * inner = 1: four lanes along the row (each lane's elements in order), then
 * the lanes combined (any NaN: the smallest NaN position; else the largest
 * value at its smallest position) and the tail taken in order. Rows [o0, o1).
 */
/** Whether lane result (lb at lk) replaces (b at k): a NaN at an earlier position, else a larger value or the same at an earlier one. */
@inline function laneWins(lb: f32, lk: i32, b: f32, k: i32): bool {
  const bNaN = b != b;
  if (lb != lb) return !bNaN || lk < k;
  return !bNaN && (lb > b || (lb == b && lk < k));
}

export function reduceMax(x: usize, best: usize, at: usize, outer: i32, R: i32, inner: i32, o0: i32, o1: i32): void {
  for (let o = o0; o < o1; o++) {
    if (inner == 1) {
      const row = x + (<usize>o * <usize>R << 2);
      let b: f32 = load<f32>(row), k: i32 = 0, r = 1;
      if (R >= 8) {
        let vb = v128.load(row), vk = i32x4(0, 1, 2, 3), rv = i32x4(4, 5, 6, 7);
        const four = i32x4.splat(4);
        r = 4;
        for (; r + 4 <= R; r += 4) {
          const v = v128.load(row + (<usize>r << 2));
          const upd = v128.or(f32x4.gt(v, vb), v128.andnot(f32x4.ne(v, v), f32x4.ne(vb, vb)));
          vb = v128.bitselect(v, vb, upd);
          vk = v128.bitselect(rv, vk, upd);
          rv = i32x4.add(rv, four);
        }
        // combine the lanes: the first NaN, else the largest value at its first position
        b = f32x4.extract_lane(vb, 0); k = i32x4.extract_lane(vk, 0);
        let lb = f32x4.extract_lane(vb, 1), lk = i32x4.extract_lane(vk, 1);
        if (laneWins(lb, lk, b, k)) { b = lb; k = lk; }
        lb = f32x4.extract_lane(vb, 2); lk = i32x4.extract_lane(vk, 2);
        if (laneWins(lb, lk, b, k)) { b = lb; k = lk; }
        lb = f32x4.extract_lane(vb, 3); lk = i32x4.extract_lane(vk, 3);
        if (laneWins(lb, lk, b, k)) { b = lb; k = lk; }
      }
      for (; r < R; r++) {
        const v = load<f32>(row + (<usize>r << 2));
        if (v > b || (v != v && b == b)) { b = v; k = r; }
      }
      store<f32>(best + (<usize>o << 2), b);
      store<i32>(at + (<usize>o << 2), k);
      continue;
    }
    const base = x + (<usize>o * <usize>R * <usize>inner << 2);
    const ob = <usize>o * <usize>inner << 2;
    const stride = <usize>inner << 2;
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let p = base + (<usize>i << 2);
      let vb = v128.load(p), vk = i32x4.splat(0), rv = i32x4.splat(0);
      const one = i32x4.splat(1);
      for (let r = 1; r < R; r++) {
        p += stride;
        rv = i32x4.add(rv, one);
        const v = v128.load(p);
        const upd = v128.or(f32x4.gt(v, vb), v128.andnot(f32x4.ne(v, v), f32x4.ne(vb, vb)));
        vb = v128.bitselect(v, vb, upd);
        vk = v128.bitselect(rv, vk, upd);
      }
      v128.store(best + ob + (<usize>i << 2), vb);
      v128.store(at + ob + (<usize>i << 2), vk);
    }
    for (; i < inner; i++) {
      let p = base + (<usize>i << 2);
      let b: f32 = load<f32>(p), k: i32 = 0;
      for (let r = 1; r < R; r++) {
        p += stride;
        const v = load<f32>(p);
        if (v > b || (v != v && b == b)) { b = v; k = r; }
      }
      store<f32>(best + ob + (<usize>i << 2), b);
      store<i32>(at + ob + (<usize>i << 2), k);
    }
  }
}
