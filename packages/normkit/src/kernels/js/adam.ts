/**
 * One Adam / AdamW step over a float32 parameter with float64 moments
 * (Kingma & Ba 2015; decoupled weight decay: Loshchilov & Hutter 2019):
 *
 *   g' = sign g + l2 p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
 *   p  = p shrink - stepSize m / (sqrt(v) rbc2 + eps)
 *
 * with stepSize = lr / (1 - b1^t), rbc2 = 1 / sqrt(1 - b2^t), l2 the L2
 * penalty (Adam) and shrink = 1 - lr wd (AdamW), as src/optim/adam.ts sets
 * them. The wasm backend runs the same operations in the same order in
 * f64x2 SIMD (assembly/adam.ts), so the backends agree bit for bit.
 */
import { declareKernel, inout, input, int, num } from '../kernel.js';

export const adamStepF32 = declareKernel('adamStepF32', [
  inout('d', 'n', { elem: 'f32' }), input('g', 'n', { elem: 'f32' }), inout('m', 'n', { elem: 'f64' }), inout('v', 'n', { elem: 'f64' }), int('n'),
  num('b1'), num('b2'), num('stepSize'), num('rbc2'), num('eps'), num('l2'), num('shrink'), num('sign'),
], function adamStepF32Js(
  d: Float32Array, g: Float32Array, m: Float64Array, v: Float64Array, n: number,
  b1: number, b2: number, stepSize: number, rbc2: number, eps: number, l2: number, shrink: number, sign: number,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let j = 0; j < n; j++) {
    const dj = d[j]!;
    const gj = sign * g[j]! + l2 * dj;
    const mj = b1 * m[j]! + c1 * gj;
    const vj = b2 * v[j]! + c2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    d[j] = dj * shrink - (stepSize * mj) / (Math.sqrt(vj) * rbc2 + eps);
  }
});
