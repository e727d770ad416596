/**
 * One SGD-with-momentum step over a float32 parameter and a float64 momentum
 * buffer in f64x2 SIMD: the WebAssembly twin of `sgdMomentumStepF32` in
 * src/kernels/js/sgd.ts, the same operations in the same order, so both
 * backends produce identical parameters.
 *
 *   g' = sign g + wd p;  b = first ? g' : mu b + damp g';  p = p - lr (nesterov ? g' + mu b : b)
 *
 * Shapes: d, g n f32; b n f64.
 */
export function sgdMomentumStepF32(
  d: usize, g: usize, b: usize, n: i32, lr: f64, sign: f64, wd: f64, mu: f64, damp: f64, nesterov: i32, first: i32,
): void {
  const LR = f64x2.splat(lr), SG = f64x2.splat(sign), WD = f64x2.splat(wd), MU = f64x2.splat(mu), DA = f64x2.splat(damp);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o4 = <usize>i << 2, o8 = <usize>i << 3;
    const dj = f64x2.promote_low_f32x4(v128.load64_zero(d + o4));
    const gj = f64x2.add(f64x2.mul(SG, f64x2.promote_low_f32x4(v128.load64_zero(g + o4))), f64x2.mul(WD, dj));
    const bj = first ? gj : f64x2.add(f64x2.mul(MU, v128.load(b + o8)), f64x2.mul(DA, gj));
    v128.store(b + o8, bj);
    const u = nesterov ? f64x2.add(gj, f64x2.mul(MU, bj)) : bj;
    v128.store64_lane(d + o4, f32x4.demote_f64x2_zero(f64x2.sub(dj, f64x2.mul(LR, u))), 0);
  }
  for (; i < n; i++) {
    const o4 = <usize>i << 2, o8 = <usize>i << 3;
    const dj = <f64>load<f32>(d + o4);
    const gj = sign * <f64>load<f32>(g + o4) + wd * dj;
    const bj = first ? gj : mu * load<f64>(b + o8) + damp * gj;
    store<f64>(b + o8, bj);
    store<f32>(d + o4, <f32>(dj - lr * (nesterov ? gj + mu * bj : bj)));
  }
}

/** Plain SGD (the twin of sgdStepF32): d = d - lr (sign g + wd d) in f64, rounded once per element. */
export function sgdStepF32(d: usize, g: usize, n: i32, lr: f64, sign: f64, wd: f64): void {
  const LR = f64x2.splat(lr), SG = f64x2.splat(sign), WD = f64x2.splat(wd);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o4 = <usize>i << 2;
    const dj = f64x2.promote_low_f32x4(v128.load64_zero(d + o4));
    const gj = f64x2.add(f64x2.mul(SG, f64x2.promote_low_f32x4(v128.load64_zero(g + o4))), f64x2.mul(WD, dj));
    v128.store64_lane(d + o4, f32x4.demote_f64x2_zero(f64x2.sub(dj, f64x2.mul(LR, gj))), 0);
  }
  for (; i < n; i++) {
    const o4 = <usize>i << 2;
    const dj = <f64>load<f32>(d + o4);
    store<f32>(d + o4, <f32>(dj - lr * (sign * <f64>load<f32>(g + o4) + wd * dj)));
  }
}
