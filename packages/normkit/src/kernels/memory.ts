/**
 * `nk.memory()`: how much of the wasm backend's memory is in use, for
 * checking that a training loop runs in constant memory (TensorFlow.js's
 * `tf.memory()` plays the same role).
 */
import { wasmMemoryUsage } from './wasm/loader.js';

/** What `memory()` reports (bytes). */
export interface MemoryInfo {
  /** Bytes of wasm memory in blocks handed out: tensors' storage, the 1 MiB stack of kernels' temporaries, and larger temporaries of a running kernel. */
  wasmBytesInUse: number;
  /** Of those, bytes holding tensor storage. */
  wasmTensorBytes: number;
  /** Size of the wasm memory (it grows on demand and never shrinks). */
  wasmBytesReserved: number;
}

/**
 * Bytes of the wasm backend's memory in use and reserved. A loop whose steps
 * run in `tidy` keeps `wasmBytesInUse` constant; without `tidy`, dead
 * tensors' blocks wait for a garbage collection.
 *
 * ```ts
 * const before = nk.memory().wasmBytesInUse;
 * nk.tidy(() => nk.layerNorm(nk.randn([256, 1024]), [1024]));
 * nk.memory().wasmBytesInUse === before; // true
 * ```
 */
export function memory(): MemoryInfo {
  const u = wasmMemoryUsage();
  return { wasmBytesInUse: u.usedBytes, wasmTensorBytes: u.residentBytes, wasmBytesReserved: u.totalBytes };
}
