/**
 * One Adam / AdamW step over a float32 parameter and float32 moments in
 * f32x4 SIMD: the WebAssembly twin of `adamStepF32` in
 * src/kernels/js/adam.ts, the same float32 operations in the same order
 * (IEEE add, mul, div and sqrt round the same everywhere), so both backends
 * produce identical parameters and moments.
 *
 *   g' = sign g + l2 p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
 *   p  = p shrink - stepSize m / (sqrt(v) rbc2 + eps)
 *
 * Shapes: p, g, m, v n f32. Elements [i0, i1).
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32,
  b1: f64, b2: f64, stepSize: f64, rbc2: f64, eps: f64, l2: f64, shrink: f64, sign: f64,
): void {
  const b1f = <f32>b1, b2f = <f32>b2, c1f = <f32>(1 - b1), c2f = <f32>(1 - b2);
  const ssf = <f32>stepSize, r2f = <f32>rbc2, ef = <f32>eps, l2f = <f32>l2, shf = <f32>shrink, sgf = <f32>sign;
  const B1 = f32x4.splat(b1f), B2 = f32x4.splat(b2f), C1 = f32x4.splat(c1f), C2 = f32x4.splat(c2f);
  const SS = f32x4.splat(ssf), R2 = f32x4.splat(r2f), E = f32x4.splat(ef), L2 = f32x4.splat(l2f);
  const SH = f32x4.splat(shf), SG = f32x4.splat(sgf);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const dj = v128.load(p + o);
    const gj = f32x4.add(f32x4.mul(SG, v128.load(g + o)), f32x4.mul(L2, dj));
    const mj = f32x4.add(f32x4.mul(B1, v128.load(m + o)), f32x4.mul(C1, gj));
    const vj = f32x4.add(f32x4.mul(B2, v128.load(v + o)), f32x4.mul(f32x4.mul(C2, gj), gj));
    v128.store(m + o, mj);
    v128.store(v + o, vj);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vj), R2), E);
    v128.store(p + o, f32x4.sub(f32x4.mul(dj, SH), f32x4.div(f32x4.mul(SS, mj), den)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const dj = load<f32>(p + o);
    const gj = sgf * load<f32>(g + o) + l2f * dj;
    const mj = b1f * load<f32>(m + o) + c1f * gj;
    const vj = b2f * load<f32>(v + o) + c2f * gj * gj;
    store<f32>(m + o, mj);
    store<f32>(v + o, vj);
    store<f32>(p + o, dj * shf - (ssf * mj) / (Mathf.sqrt(vj) * r2f + ef));
  }
}
