/**
 * The WebAssembly backend's entry point (imported for its effect by
 * src/index.ts): registers the SIMD kernels, tells the backend selector when
 * they are usable, selects them automatically (the 'wasm' backend is the
 * default wherever the module loads; `setBackend('js')` switches back), and
 * lets `allocate()` place large float32 tensors in wasm memory.
 */
import { getBackend, registerBackend, setBackend } from '../backend.js';
import { setStorageProvider } from '../../tensor/storage.js';
import { allocateResident, allocateResident64, initWasm, loadWasmSync, onWasmReady, releaseResident, residentBlockOf, wasmLoadError, wasmState } from './loader.js';
import { registerWasmKernels } from './kernels.js';

registerWasmKernels();
registerBackend({ name: 'wasm', unavailableReason: wasmLoadError });
// The wasm backend owns the storage of large float32 tensors (src/tensor/storage.ts).
// Blocks stay valid after a switch to 'js' (the JS kernels read them as plain
// arrays), so the provider stays installed and only stops handing out new blocks.
setStorageProvider({
  allocate: (dtype, n, zero) => (dtype === 'float32' && getBackend() === 'wasm' ? allocateResident(n, zero) : null),
  blockOf: residentBlockOf,
  release: releaseResident,
  allocateState: (n) => (getBackend() === 'wasm' ? allocateResident64(n) : null),
});

// In browsers the module may finish loading after the first calls: switch then
// (call `await initWasm()` before `setBackend('js')` to keep the JS kernels there).
onWasmReady(() => {
  if (getBackend() === 'js') setBackend('wasm');
});
// Node and workers compile synchronously; a browser main thread compiles asynchronously.
if (!loadWasmSync()) void initWasm();

export { initWasm };

/** What `nk.wasmInfo()` reports about the WebAssembly backend. */
export interface WasmInfo {
  /** The module is compiled and instantiated (the 'wasm' backend can be selected). */
  loaded: boolean;
  /** Its memory is shared: large tensors live in it and kernels can run on worker threads. */
  sharedMemory: boolean;
  /**
   * The relaxed-SIMD build runs: the matmul and GELU use fused multiply-add
   * (src/kernels/wasm/relaxed-simd.ts says where it is on and how to turn it off).
   */
  relaxedSimd: boolean;
  /** Why it is not loaded, or null. */
  error: string | null;
}

/**
 * Which WebAssembly build runs here, e.g. `{ loaded: true, sharedMemory: true,
 * relaxedSimd: false, error: null }` in Node 20 without
 * `--experimental-wasm-relaxed-simd`.
 */
export function wasmInfo(): WasmInfo {
  const s = wasmState();
  return { loaded: s !== null, sharedMemory: s?.shared ?? false, relaxedSimd: s?.relaxedSimd ?? false, error: wasmLoadError() };
}
