/**
 * `nk.functional` (alias `nk.F`): differentiable ops on tensors.
 * Each section is owned by one area of the library.
 */
// core ops
export { add, sub, mul, div, neg, exp, log, sqrt, abs, pow, tanh, sigmoid, relu, gelu } from './elementwise.js';
export { sum, mean, max } from './reduce.js';
export { reshape, flatten, unsqueeze, permute, transpose, expand, slice, concat, stack, indexSelect } from './shape-ops.js';
export { matmul } from './matmul.js';
export { softmax, logSoftmax } from './softmax.js';
// normalization ops
// nn ops (losses, conv, pooling, dropout)
