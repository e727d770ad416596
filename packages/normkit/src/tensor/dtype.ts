/**
 * Data types. normkit stores every tensor as one contiguous row-major typed
 * array; float32 is the default (what models train in), float64 exists for
 * references and gradient checks.
 */
export type DType = 'float32' | 'float64';

/** The storage type of a tensor. */
export type TypedArray = Float32Array | Float64Array;

let residentAllocator: ((dtype: DType, n: number, zero: boolean) => TypedArray | null) | null = null;

/**
 * Let the WebAssembly backend place large tensors in its memory (zero-copy
 * kernels; see src/kernels/wasm/loader.ts). The hook returns null to decline;
 * `zero` false means the caller overwrites every element.
 */
export function setResidentAllocator(fn: ((dtype: DType, n: number, zero: boolean) => TypedArray | null) | null): void {
  residentAllocator = fn;
}

/** Allocate zeroed storage of a dtype. */
export function allocate(dtype: DType, n: number): TypedArray {
  if (residentAllocator !== null) {
    const a = residentAllocator(dtype, n, true);
    if (a !== null) return a;
  }
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/**
 * Storage for an op that writes every element before anything reads it (an
 * element-wise result, a copy): a reused wasm block keeps a dead tensor's
 * values instead of being zeroed again, which for shared memory costs 7x a
 * plain memset (V8 has no fast fill for shared buffers). Never use it for an
 * accumulator.
 */
export function allocateUninit(dtype: DType, n: number): TypedArray {
  if (residentAllocator !== null) {
    const a = residentAllocator(dtype, n, false);
    if (a !== null) return a;
  }
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

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
