/**
 * im2col and col2im on float32 (the twins of src/kernels/js/conv.ts): for
 * each column row (c, i, j) and output row oh, the valid run of input pixels
 * is copied (im2col; zeros around it) or added (col2im) in v128 blocks when
 * the horizontal stride is 1, element by element otherwise. Pointers arrive
 * already offset (the xOff/cOff arguments are the declaration's and unused
 * here). Bits move unchanged, and col2im adds in the TypeScript loop's order.
 */
import { copyRun } from './strided';

// to[j] += from[j], j < n
@inline function addRun(from: usize, to: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(to + o, f32x4.add(v128.load(to + o), v128.load(from + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(to + o, load<f32>(to + o) + load<f32>(from + o));
  }
}

// ceil(a / b) and floor(a / b) for b > 0, any sign of a
@inline function ceilDiv(a: i32, b: i32): i32 { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
@inline function floorDiv(a: i32, b: i32): i32 { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The output columns [owFirst, owEnd) whose input column ow*sw - pw + j*dw
// lies inside the image, for kernel column j (empty when owEnd <= owFirst).
@inline function owFirst(j: i32, sw: i32, pw: i32, dw: i32, OW: i32): i32 { return min(OW, max(0, ceilDiv(pw - j * dw, sw))); }
@inline function owEnd(owLo: i32, j: i32, W: i32, sw: i32, pw: i32, dw: i32, OW: i32): i32 {
  return max(owLo, min(OW, floorDiv(W - 1 + pw - j * dw, sw) + 1));
}

export function im2col(
  x: usize, _xOff: i32, cols: usize, _cOff: i32,
  C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32, dh: i32, dw: i32,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    const xc = x + (<usize>(c * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let r = cols + (<usize>(((c * kh + i) * kw + j) * L) << 2);
        const owLo = owFirst(j, sw, pw, dw, OW), owHi = owEnd(owLo, j, W, sw, pw, dw, OW);
        for (let oh = 0; oh < OH; oh++, r += <usize>OW << 2) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H || owHi <= owLo) {
            memory.fill(r, 0, <usize>OW << 2);
            continue;
          }
          // element ow of this row is x[ih*W - pw + j*dw + ow*sw]
          const base = <isize>(ih * W - pw + j * dw);
          if (owLo > 0) memory.fill(r, 0, <usize>owLo << 2);
          if (sw == 1) copyRun(xc + <usize>((base + owLo) << 2), r + (<usize>owLo << 2), owHi - owLo);
          else for (let ow = owLo; ow < owHi; ow++) store<f32>(r + (<usize>ow << 2), load<f32>(xc + <usize>((base + <isize>(ow * sw)) << 2)));
          if (owHi < OW) memory.fill(r + (<usize>owHi << 2), 0, <usize>(OW - owHi) << 2);
        }
      }
    }
  }
}

export function col2im(
  dcols: usize, _cOff: i32, dx: usize, _xOff: i32,
  C: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32, dh: i32, dw: i32,
): void {
  const L = OH * OW;
  for (let c = 0; c < C; c++) {
    const xc = dx + (<usize>(c * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let r = dcols + (<usize>(((c * kh + i) * kw + j) * L) << 2);
        const owLo = owFirst(j, sw, pw, dw, OW), owHi = owEnd(owLo, j, W, sw, pw, dw, OW);
        for (let oh = 0; oh < OH; oh++, r += <usize>OW << 2) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H) continue;
          const base = <isize>(ih * W - pw + j * dw);
          if (sw == 1) addRun(r + (<usize>owLo << 2), xc + <usize>((base + owLo) << 2), owHi - owLo);
          else {
            for (let ow = owLo; ow < owHi; ow++) {
              const p = xc + <usize>((base + <isize>(ow * sw)) << 2);
              store<f32>(p, load<f32>(p) + load<f32>(r + (<usize>ow << 2)));
            }
          }
        }
      }
    }
  }
}
