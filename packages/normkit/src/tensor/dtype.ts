/**
 * Data types. normkit stores every tensor as one contiguous row-major typed
 * array; float32 is the default (what models train in), float64 exists for
 * references and gradient checks.
 */
export type DType = 'float32' | 'float64';

/** The storage type of a tensor. */
export type TypedArray = Float32Array | Float64Array;

// Allocation lives with the storage lifecycle (src/tensor/storage.ts); re-exported
// here because every op imports its dtype helpers and allocation together.
export { allocate, allocateUninit } from './storage.js';

/** The dtype of a typed array. */
export function dtypeOf(a: TypedArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** The wider of two dtypes: float64 wins, so mixing never silently loses digits. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}

/**
 * Machine epsilon of a dtype (the gap between 1 and the next float):
 * 2^-23 for float32, 2^-52 for float64. RMSNorm's `eps=null` uses it, as PyTorch does.
 */
export function machineEps(dtype: DType): number {
  return dtype === 'float64' ? 2 ** -52 : 2 ** -23;
}
