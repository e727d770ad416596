/**
 * normkit: exact, fast, differentiable normalization layers, and the small
 * tensor/autograd core needed to train real networks with them.
 *
 * ```ts
 * import * as nk from 'normkit';
 * const ln = new nk.LayerNorm([16]);
 * const y = ln.forward(nk.randn([4, 16]));
 * ```
 */
// tensors
export { Tensor, type NestedArray } from './tensor/tensor.js';
export { type DType, type TypedArray, machineEps } from './tensor/dtype.js';
export { tensor, fromArray, zeros, ones, full, zerosLike, onesLike, randn, rand, arange, scalar, type TensorOptions } from './tensor/create.js';
export { Rng, manualSeed } from './tensor/random.js';
export { tidy, keep, dispose } from './tensor/scope.js';
export { fmtShape, numel } from './tensor/shape.js';
// autograd
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { gradcheck, type GradcheckResult, type GradcheckOptions } from './autograd/gradcheck.js';
// functional ops, also at the top level for convenience
export * as functional from './functional/index.js';
export * as F from './functional/index.js';
export * from './functional/index.js';
// backends
export { setBackend, getBackend, type BackendName } from './kernels/backend.js';
export { initWasm, wasmInfo, type WasmInfo } from './kernels/wasm/index.js';
export { relaxedSimdSupported } from './kernels/wasm/relaxed-simd.js';
export { memory, type MemoryInfo } from './kernels/memory.js';
export { setThreads, getThreads, setThreadCrossover, getThreadCrossover } from './kernels/threads/pool.js';
// modules
export { Module, type StateDict } from './nn/module.js';
// normalization modules
export * from './nn/norm/index.js';
// nn layers, optimizers
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
// preprocessing
export * from './preprocessing/index.js';
// interop
export * as io from './io/index.js';
export * as onnx from './onnx/index.js';
// data-parallel training and its process group
export * as parallel from './parallel/index.js';
// comparing with a reference (torch.testing.assert_close's role)
export * as testing from './testing.js';
