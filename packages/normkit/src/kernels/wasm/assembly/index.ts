/**
 * Entry point of normkit's WebAssembly module: every exported kernel. Pointers
 * are byte addresses into the imported memory; the module has no other
 * imports, no static data and no runtime allocations (`--runtime stub`), so
 * one compiled module can be instantiated on many threads over one shared memory.
 */
export { gemmRows, packB, gemmBatched } from './gemm';
export { layernormForward, layernormBackward, rmsnormForward, rmsnormBackward } from './norm';
export { batchnormForwardTrain1, batchnormBackward1, batchnormForwardEval1 } from './batchnorm';
export { batchnormForwardTrainS, batchnormBackwardS, batchnormForwardEvalS, batchnormBackwardEval1 } from './batchnorm-spatial';
export { groupnormForward, groupnormBackward } from './groupnorm';
export { softmaxForward, softmaxBackward, attentionSoftmaxForward, attentionSoftmaxBackward } from './softmax';
export { crossEntropyForward, crossEntropyBackward } from './cross-entropy';
export { zeroBytes } from './memory';
export { geluForward, geluWithDerivative } from './gelu';
export { activationForward, activationBackward } from './activations';
export { adamStep } from './adam';
export { binarySame, binaryRows, binaryScalar, colSum } from './elementwise';
export { stridedCopy, copyRows } from './strided';
export { sgdMomentumStepF32, sgdStepF32 } from './sgd';
export { reduceSum, reduceMax } from './reduce';
export { indexAddRows } from './gather';
export { dytForward, dytBackward } from './dyt';
export { unaryForward, unaryBackward } from './unary';
export { im2col, col2im } from './conv';
export { maxPool2dForward, scatterAdd } from './pool';
export { dropoutMaskLanes } from './dropout';
