/**
 * Where tensor storage comes from and when it goes back.
 *
 * Storage is a typed array. Small tensors and float64 tensors live on the JS
 * heap, where the garbage collector frees them. The active backend may offer
 * its own memory for the rest (the wasm backend places large float32 tensors
 * in its linear memory, so kernels take them by pointer instead of copying):
 * it registers a `StorageProvider` here, and the backend, not a hidden hook,
 * decides and accounts for every block it hands out.
 *
 * Backend blocks are freed in one of two ways:
 * - explicitly, when the last tensor on a block is disposed (`Tensor.dispose`,
 *   the end of `tidy()`, the temporaries of `backward()`): the block is reused
 *   at once, so a synchronous training loop runs in constant memory;
 * - otherwise when the garbage collector finds the block's array unreachable
 *   (a FinalizationRegistry). Those callbacks only run after a collection and
 *   between tasks, which is why a long synchronous loop needs the first way.
 *
 * Every tensor constructed on a whole backend block counts one reference; the
 * block is released only when the count returns to zero, so a reshape (which
 * shares its input's storage) keeps the block alive until it too is disposed.
 */
import type { DType, TypedArray } from './dtype.js';

/** What a backend offering its own memory implements. */
export interface StorageProvider {
  /**
   * Storage for `n` elements of `dtype` in backend memory, zeroed unless `zero`
   * is false (the caller then writes every element first), or null to decline
   * (the array then comes from the JS heap).
   */
  allocate(dtype: DType, n: number, zero: boolean): TypedArray | null;
  /** The id of the backend block `a` starts, or -1 when `a` is not the start of a live block. */
  blockOf(a: TypedArray): number;
  /** Free `block` now; `view` is the array it was handed out as. No tensor holds it any more. */
  release(block: number, view: TypedArray): void;
  /**
   * Long-lived float64 state (an optimizer's moments) in backend memory, zeroed,
   * freed when the array is garbage-collected; null to decline.
   */
  allocateState(n: number): Float64Array | null;
}

let provider: StorageProvider | null = null;
/** Tensors alive (not disposed) on each backend block. */
const refs = new Map<number, number>();

/** Install the provider of the active backend (null: JS heap only). */
export function setStorageProvider(p: StorageProvider | null): void {
  provider = p;
  refs.clear();
}

/**
 * Small arrays on the JS heap are views into shared 256 KiB slabs: creating a
 * typed array with its own buffer costs ~1.7 us in V8 at 768 floats (a
 * separately allocated, zeroed, externally accounted backing store), a view
 * into a slab ~0.05 us, and small tensors are most of what a small model's
 * training step creates. A slab is fresh (zeroed) memory, carved forward and
 * never reused; the garbage collector frees it once no view on it is alive.
 * The cost: one long-lived small tensor keeps its slab alive, so a tensor's
 * `data.buffer` may be larger than the tensor (always use `byteOffset`).
 */
const SLAB_BYTES = 256 * 1024;
/** Arrays up to this size come from slabs (16 KiB: 4096 floats). */
const SLAB_MAX_BYTES = 16 * 1024;
let slab: ArrayBuffer | null = null;
let slabAt = 0;

function heapArray(dtype: DType, n: number): TypedArray {
  const bytes = dtype === 'float64' ? n * 8 : n * 4;
  if (bytes === 0 || bytes > SLAB_MAX_BYTES) return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const size = (bytes + 15) & ~15; // 16-byte aligned views
  if (slab === null || slabAt + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabAt = 0;
  }
  const a = dtype === 'float64' ? new Float64Array(slab, slabAt, n) : new Float32Array(slab, slabAt, n);
  slabAt += size;
  return a;
}

/** Allocate zeroed storage of a dtype (in backend memory when the backend offers it). */
export function allocate(dtype: DType, n: number): TypedArray {
  if (provider !== null) {
    const a = provider.allocate(dtype, n, true);
    if (a !== null) return a;
  }
  return heapArray(dtype, n);
}

/**
 * Storage for an op that writes every element before anything reads it (an
 * element-wise result, a copy): a reused backend block keeps a dead tensor's
 * values instead of being zeroed again, which for shared memory costs 7x a
 * plain memset (V8 has no fast fill for shared buffers). Never use it for an
 * accumulator.
 */
export function allocateUninit(dtype: DType, n: number): TypedArray {
  if (provider !== null) {
    const a = provider.allocate(dtype, n, false);
    if (a !== null) return a;
  }
  return heapArray(dtype, n);
}

/**
 * Zeroed float64 storage for long-lived state that kernels update in place
 * every step (Adam's moments): in backend memory when the backend offers it,
 * so its SIMD kernels read it without copying.
 */
export function allocateState(n: number): Float64Array {
  return provider?.allocateState(n) ?? new Float64Array(n);
}

/** A tensor was constructed on `a`: count it if `a` is a backend block. */
export function retainStorage(a: TypedArray): void {
  if (provider === null) return;
  const b = provider.blockOf(a);
  if (b >= 0) refs.set(b, (refs.get(b) ?? 0) + 1);
}

/**
 * A tensor on `a` was disposed: free the block when no other tensor holds it.
 * Arrays on the JS heap are left to the garbage collector.
 */
export function releaseStorage(a: TypedArray): void {
  if (provider === null) return;
  const b = provider.blockOf(a);
  if (b < 0) return;
  const c = (refs.get(b) ?? 1) - 1;
  if (c > 0) {
    refs.set(b, c);
    return;
  }
  refs.delete(b);
  provider.release(b, a);
}

/** The backend freed `block` itself (its array was garbage-collected): forget its count. */
export function forgetStorage(block: number): void {
  refs.delete(block);
}
