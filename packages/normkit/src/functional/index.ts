/**
 * `nk.functional` (alias `nk.F`): differentiable ops on tensors.
 * Each section is owned by one area of the library.
 */
// the backward rule of every op, handed to autograd (imported for that effect)
import './backward-rules.js';
// core ops
export { add, sub, mul, div, neg, exp, log, sqrt, abs, pow, tanh, sigmoid, relu, gelu, type GeluOptions } from './elementwise.js';
export { sum, mean, max } from './reduce.js';
export { reshape, flatten, unsqueeze, permute, transpose, expand, slice, concat, stack, indexSelect } from './shape-ops.js';
export { matmul } from './matmul.js';
export { softmax, logSoftmax, attentionSoftmax } from './softmax.js';
// normalization ops
export { layerNorm } from './layer-norm.js';
export { rmsNorm } from './rms-norm.js';
export { dyt } from './dyt.js';
export { localResponseNorm } from './local-response-norm.js';
export { normalize, type NormalizeOptions } from './normalize.js';
export { batchNorm, type BatchNormOptions } from './batch-norm.js';
export { groupNorm } from './group-norm.js';
export { instanceNorm } from './instance-norm.js';
export { detachNorm, adaNorm, type AdaNormOptions } from './detach-norm.js';
export { weightNormCompose } from './weight-norm.js';
// nn ops (losses, conv, pooling, dropout)
export { linear } from './linear.js';
export { conv2d, type Conv2dOptions, type Size2 } from './conv.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './pool.js';
export { dropout } from './dropout.js';
export { crossEntropy, mseLoss, l1Loss, huberLoss, smoothL1Loss, bceWithLogits, bceLoss, nllLoss, type Targets, type Reduction, type CrossEntropyOptions, type NLLLossOptions, type BCEWithLogitsOptions } from './losses.js';
