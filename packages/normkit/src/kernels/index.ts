/**
 * `normkit/kernels`: the raw normalization kernels on typed arrays, without
 * tensors or autograd, for benchmarks and numerical studies (the lab's
 * numerics experiment compares its float32 variance formulas against them).
 *
 * - `*Ref` functions: the float64 references every fast kernel is tested
 *   against (two-pass statistics, no shortcuts).
 * - The others: the fused TypeScript kernels of the `js` backend (shifted
 *   two-pass statistics in float64, forward above backward).
 *
 * ```ts
 * import { layernormForward } from 'normkit/kernels';
 * const x = new Float32Array([1, 2, 3, 4]), y = new Float32Array(4);
 * layernormForward(y, new Float64Array(1), new Float64Array(1), x, null, null, 1, 4, 1e-5);
 * ```
 */
export * from './js/layernorm.js';
export * from './js/rmsnorm.js';
export * from './js/batchnorm.js';
export * from './js/groupnorm.js';
export * from './js/lrn.js';
export * from './js/dyt.js';
export * from './js/normalize.js';
export * from './js/softmax.js';
export * from './reference/layernorm.js';
export * from './reference/rmsnorm.js';
export * from './reference/batchnorm.js';
export * from './reference/groupnorm.js';
export * from './reference/instancenorm.js';
export * from './reference/lrn.js';
export * from './reference/dyt.js';
export * from './reference/normalize.js';
export * from './reference/softmax.js';
