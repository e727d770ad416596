/**
 * Plain SGD over a float32 parameter (momentum 0): d = d - lr (sign g + wd d),
 * each element computed in float64 and rounded once, as the generic loop of
 * src/optim/sgd.ts; the wasm twin (assembly/sgd.ts) does the same in f64x2.
 */
export const sgdStepF32 = declareKernel('sgdStepF32', [
  inout('d', 'n', { elem: 'f32' }), input('g', 'n', { elem: 'f32' }), int('n'), num('lr'), num('sign'), num('wd'),
], function sgdStepF32Js(d: Float32Array, g: Float32Array, n: number, lr: number, sign: number, wd: number): void {
  for (let j = 0; j < n; j++) d[j] = d[j]! - lr * (sign * g[j]! + wd * d[j]!);
});

/**
 * One SGD step with momentum over a float32 parameter with a float64
 * momentum buffer (PyTorch's torch.optim.SGD: Sutskever et al. 2013; Nesterov
 * as in PyTorch):
 *
 *   g' = sign g + wd p
 *   b  = g'                        on the first step (first = true)
 *   b  = mu b + (1 - dampening) g' afterwards
 *   p  = p - lr (nesterov ? g' + mu b : b)
 *
 * with damp = 1 - dampening and sign = -1 when maximizing, as
 * src/optim/sgd.ts sets them. The wasm backend runs the same operations in
 * the same order in f64x2 SIMD (assembly/sgd.ts), so the backends agree bit
 * for bit.
 */
import { declareKernel, flag, inout, input, int, num } from '../kernel.js';

export const sgdMomentumStepF32 = declareKernel('sgdMomentumStepF32', [
  inout('d', 'n', { elem: 'f32' }), input('g', 'n', { elem: 'f32' }), inout('b', 'n', { elem: 'f64' }), int('n'),
  num('lr'), num('sign'), num('wd'), num('mu'), num('damp'), flag('nesterov'), flag('first'),
], function sgdMomentumStepF32Js(
  d: Float32Array, g: Float32Array, b: Float64Array, n: number,
  lr: number, sign: number, wd: number, mu: number, damp: number, nesterov: boolean, first: boolean,
): void {
  for (let j = 0; j < n; j++) {
    const gj = sign * g[j]! + wd * d[j]!;
    const bj = first ? gj : mu * b[j]! + damp * gj;
    b[j] = bj;
    d[j] = d[j]! - lr * (nesterov ? gj + mu * bj : bj);
  }
});
