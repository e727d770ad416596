/**
 * One Adam / AdamW step over a float32 parameter with float32 moments, as
 * PyTorch keeps them (`exp_avg`, `exp_avg_sq` have the parameter's dtype;
 * Kingma & Ba 2015; decoupled weight decay: Loshchilov & Hutter 2019):
 *
 *   g' = sign g + l2 p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
 *   p  = p shrink - stepSize m / (sqrt(v) rbc2 + eps)
 *
 * with stepSize = lr / (1 - b1^t), rbc2 = 1 / sqrt(1 - b2^t), l2 the L2
 * penalty (Adam) and shrink = 1 - lr wd (AdamW), as src/optim/adam.ts sets
 * them. Every operation is a float32 operation (the constants rounded to
 * float32 first): this loop rounds each result with Math.fround, which gives
 * exactly the float32 result of that operation, and the wasm backend runs
 * the same operations in the same order in f32x4 SIMD (assembly/adam.ts), so
 * the backends agree bit for bit. (Float64 moments and arithmetic, as this
 * kernel had first, made the step 4x slower than f32x4 lanes allow: float64
 * square roots and divisions, two lanes at a time, were a quarter of an MLP
 * training step.)
 */
import { declareKernel, inout, input, int, num } from '../kernel.js';

const f = Math.fround;

export const adamStepF32 = declareKernel('adamStepF32', [
  inout('d', 'n', { elem: 'f32' }), input('g', 'n', { elem: 'f32' }), inout('m', 'n', { elem: 'f32' }), inout('v', 'n', { elem: 'f32' }), int('n'),
  num('b1'), num('b2'), num('stepSize'), num('rbc2'), num('eps'), num('l2'), num('shrink'), num('sign'),
], function adamStepF32Js(
  d: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number,
  b1: number, b2: number, stepSize: number, rbc2: number, eps: number, l2: number, shrink: number, sign: number,
): void {
  const B1 = f(b1), B2 = f(b2), C1 = f(1 - b1), C2 = f(1 - b2);
  const SS = f(stepSize), R2 = f(rbc2), E = f(eps), L2 = f(l2), SH = f(shrink), SG = f(sign);
  for (let j = 0; j < n; j++) {
    const dj = d[j]!;
    const gj = f(f(SG * g[j]!) + f(L2 * dj));
    const mj = f(f(B1 * m[j]!) + f(C1 * gj));
    const vj = f(f(B2 * v[j]!) + f(f(C2 * gj) * gj));
    m[j] = mj;
    v[j] = vj;
    const den = f(f(f(Math.sqrt(vj)) * R2) + E);
    d[j] = f(f(dj * SH) - f(f(SS * mj) / den));
  }
});
