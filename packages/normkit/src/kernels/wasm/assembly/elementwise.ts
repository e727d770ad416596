/**
 * Element-wise arithmetic on float32 in f32x4 SIMD: the WebAssembly twins of
 * src/kernels/js/elementwise.ts. One f32 operation per element is exactly
 * the TypeScript path's f64 operation rounded to f32 (a double-rounding-free
 * case: 53 >= 2 * 24 + 2 bits), so both backends agree bit for bit.
 *
 * kind: 0 add, 1 sub, 2 mul, 3 div.
 */

import { addToF64 } from './lanes';

@inline function op(kind: i32, a: v128, b: v128): v128 {
  if (kind == 0) return f32x4.add(a, b);
  if (kind == 1) return f32x4.sub(a, b);
  if (kind == 2) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

@inline function op1(kind: i32, a: f32, b: f32): f32 {
  if (kind == 0) return a + b;
  if (kind == 1) return a - b;
  if (kind == 2) return a * b;
  return a / b;
}

// out[i] = a[i] op b[i], i < n (out may be a or b)
@inline function same(kind: i32, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, op(kind, v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, op1(kind, load<f32>(a + o), load<f32>(b + o)));
  }
}

/** out[i] = a[i] op b[i] for i < n. */
export function binarySame(kind: i32, a: usize, b: usize, out: usize, n: i32): void {
  // one specialised loop per op (the branch is outside the loop)
  if (kind == 0) same(0, a, b, out, n);
  else if (kind == 1) same(1, a, b, out, n);
  else if (kind == 2) same(2, a, b, out, n);
  else same(3, a, b, out, n);
}

// out[r, j] = a[r, j] op b[j] (bOnLeft: b[j] op a[r, j])
@inline function rows(kind: i32, a: usize, b: usize, out: usize, R: i32, m: i32, bOnLeft: bool): void {
  for (let r = 0; r < R; r++) {
    const base = <usize>r * <usize>m << 2;
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const o = <usize>j << 2;
      const x = v128.load(a + base + o), y = v128.load(b + o);
      v128.store(out + base + o, bOnLeft ? op(kind, y, x) : op(kind, x, y));
    }
    for (; j < m; j++) {
      const o = <usize>j << 2;
      const x = load<f32>(a + base + o), y = load<f32>(b + o);
      store<f32>(out + base + o, bOnLeft ? op1(kind, y, x) : op1(kind, x, y));
    }
  }
}

/** out[r, j] = a[r, j] op b[j] (or b[j] op a[r, j] when bOnLeft) for r < R, j < m: a bias, a per-feature scale. */
export function binaryRows(kind: i32, a: usize, b: usize, out: usize, R: i32, m: i32, bOnLeft: i32): void {
  if (bOnLeft != 0) {
    if (kind == 0) rows(0, a, b, out, R, m, true);
    else if (kind == 1) rows(1, a, b, out, R, m, true);
    else if (kind == 2) rows(2, a, b, out, R, m, true);
    else rows(3, a, b, out, R, m, true);
  } else {
    if (kind == 0) rows(0, a, b, out, R, m, false);
    else if (kind == 1) rows(1, a, b, out, R, m, false);
    else if (kind == 2) rows(2, a, b, out, R, m, false);
    else rows(3, a, b, out, R, m, false);
  }
}

// out[i] = a[i] op s (sOnLeft: s op a[i])
@inline function scalar(kind: i32, a: usize, s: f32, out: usize, n: i32, sOnLeft: bool): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    v128.store(out + o, sOnLeft ? op(kind, sv, x) : op(kind, x, sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(a + o);
    store<f32>(out + o, sOnLeft ? op1(kind, s, x) : op1(kind, x, s));
  }
}

/**
 * out[i] = a[i] op s (or s op a[i] when sOnLeft) for i < n: a tensor and a
 * one-element tensor (attention's 1/sqrt(d) scale, a loss's mean). `s` is a
 * float32 value passed as f64 (exactly representable), so each element is
 * one float32 operation, as in the TypeScript loop.
 */
export function binaryScalar(kind: i32, a: usize, s: f64, out: usize, sOnLeft: i32, n: i32): void {
  const sf = <f32>s;
  if (sOnLeft != 0) {
    if (kind == 0) scalar(0, a, sf, out, n, true);
    else if (kind == 1) scalar(1, a, sf, out, n, true);
    else if (kind == 2) scalar(2, a, sf, out, n, true);
    else scalar(3, a, sf, out, n, true);
  } else {
    if (kind == 0) scalar(0, a, sf, out, n, false);
    else if (kind == 1) scalar(1, a, sf, out, n, false);
    else if (kind == 2) scalar(2, a, sf, out, n, false);
    else scalar(3, a, sf, out, n, false);
  }
}

/**
 * acc[j] += sum over r of x[r, j] (x float32 [R, m], acc float64 [m]), each
 * column summed in row order in f64 exactly as the TypeScript loop does.
 */
export function colSum(x: usize, acc: usize, R: i32, m: i32): void {
  for (let r = 0; r < R; r++) {
    const base = <usize>r * <usize>m << 2;
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const v = v128.load(x + base + (<usize>j << 2));
      addToF64(acc + (<usize>j << 3), v);
    }
    for (; j < m; j++) {
      const p = acc + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(x + base + (<usize>j << 2)));
    }
  }
}
