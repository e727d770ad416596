/**
 * Backend selection. Every kernel is declared once (src/kernels/kernel.ts)
 * with its TypeScript implementation, which is the `js` backend; the
 * WebAssembly backend (src/kernels/wasm/) implements the declared kernels it
 * speeds up and owns the storage of large float32 tensors while it is
 * active. A call goes to the active backend's implementation when it has one,
 * else to the TypeScript one, so both paths always exist and are tested
 * against each other (test/kernels/declared.test.ts).
 */
import { dispatchState } from './kernel.js';

/** The kernel backends. */
export type BackendName = 'js' | 'wasm';

/**
 * What a backend other than `js` tells the selector. Its kernels are
 * installed per declared kernel (`setWasmImplementation`); its storage
 * through the tensor core's `setStorageProvider`.
 */
export interface Backend {
  readonly name: Exclude<BackendName, 'js'>;
  /** Why the backend cannot run here, or null when it can. */
  unavailableReason(): string | null;
}

let active: BackendName = 'js';
let wasmBackend: Backend | null = null;

/** Register the WebAssembly backend (called once by its entry point). */
export function registerBackend(b: Backend): void {
  wasmBackend = b;
}

/**
 * Choose the kernel backend. `'wasm'` throws when WebAssembly kernels are not
 * available in this environment (the error says why); `'js'` always works.
 * Tensors created under one backend stay valid under the other.
 */
export function setBackend(name: BackendName): void {
  if (name !== 'js' && name !== 'wasm') throw new RangeError(`unknown backend '${String(name)}' (expected 'js' or 'wasm')`);
  if (name === 'wasm') {
    const why = wasmBackend ? wasmBackend.unavailableReason() : 'the WebAssembly backend is not registered (import normkit, not only normkit/kernels)';
    if (why !== null) throw new Error(`backend 'wasm' is not available: ${why}`);
  }
  active = name;
  dispatchState.wasmActive = name === 'wasm';
}

/** The active kernel backend. */
export function getBackend(): BackendName {
  return active;
}
