/**
 * One Adam / AdamW step over a float32 parameter, float64 moments, in f64x2
 * SIMD: the WebAssembly twin of `adamStepF32` in src/optim/adam.ts, the same
 * operations in the same order (IEEE f64 add, mul, div and sqrt round the
 * same everywhere), so both backends produce identical parameters.
 *
 *   g' = sign g + l2 p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
 *   p  = p shrink - stepSize m / (sqrt(v) rbc2 + eps)
 *
 * Shapes: p, g n f32; m, v n f64. Elements [i0, i1).
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32,
  b1: f64, b2: f64, stepSize: f64, rbc2: f64, eps: f64, l2: f64, shrink: f64, sign: f64,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const B1 = f64x2.splat(b1), B2 = f64x2.splat(b2), C1 = f64x2.splat(c1), C2 = f64x2.splat(c2);
  const SS = f64x2.splat(stepSize), R2 = f64x2.splat(rbc2), E = f64x2.splat(eps), L2 = f64x2.splat(l2);
  const SH = f64x2.splat(shrink), SG = f64x2.splat(sign);
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const o4 = <usize>i << 2, o8 = <usize>i << 3;
    const dj = f64x2.promote_low_f32x4(v128.load64_zero(p + o4));
    const gj = f64x2.add(f64x2.mul(SG, f64x2.promote_low_f32x4(v128.load64_zero(g + o4))), f64x2.mul(L2, dj));
    const mj = f64x2.add(f64x2.mul(B1, v128.load(m + o8)), f64x2.mul(C1, gj));
    const vj = f64x2.add(f64x2.mul(B2, v128.load(v + o8)), f64x2.mul(f64x2.mul(C2, gj), gj));
    v128.store(m + o8, mj);
    v128.store(v + o8, vj);
    const upd = f64x2.div(f64x2.mul(SS, mj), f64x2.add(f64x2.mul(f64x2.sqrt(vj), R2), E));
    v128.store64_lane(p + o4, f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(dj, SH), upd)), 0);
  }
  for (; i < i1; i++) {
    const o4 = <usize>i << 2, o8 = <usize>i << 3;
    const dj = <f64>load<f32>(p + o4);
    const gj = sign * <f64>load<f32>(g + o4) + l2 * dj;
    const mj = b1 * load<f64>(m + o8) + c1 * gj;
    const vj = b2 * load<f64>(v + o8) + c2 * gj * gj;
    store<f64>(m + o8, mj);
    store<f64>(v + o8, vj);
    store<f32>(p + o4, <f32>(dj * shrink - (stepSize * mj) / (Math.sqrt(vj) * rbc2 + eps)));
  }
}
