/**
 * Backend selection. Every fast kernel is defined once in plain TypeScript
 * (`src/kernels/js/`) through `defineKernel`; the WebAssembly backend
 * registers replacements under the same name. A call goes to the active
 * backend's version when it has one, else to the TypeScript one, so both
 * paths always exist and can be tested against each other.
 */

/** The kernel backends. */
export type BackendName = 'js' | 'wasm';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

const wasmImpls = new Map<string, AnyFn>();
let active: BackendName = 'js';
let wasmReady: () => boolean = () => wasmImpls.size > 0;

/** A kernel: callable, dispatching on the active backend. */
export type Kernel<F extends AnyFn> = F & { readonly kernelName: string; readonly js: F };

/** Define a kernel by its TypeScript implementation; the WASM backend may register a faster one. */
export function defineKernel<F extends AnyFn>(name: string, js: F): Kernel<F> {
  const dispatch = ((...args: Parameters<F>) => {
    if (active === 'wasm') {
      const w = wasmImpls.get(name);
      if (w) return w(...args);
    }
    return js(...args);
  }) as unknown as Kernel<F>;
  Object.defineProperty(dispatch, 'kernelName', { value: name });
  Object.defineProperty(dispatch, 'js', { value: js });
  return dispatch;
}

/** Register the WebAssembly implementation of a kernel (same signature as its TypeScript one). */
export function registerWasmKernel<F extends AnyFn>(kernel: Kernel<F>, impl: F): void {
  wasmImpls.set(kernel.kernelName, impl);
}

/** Let the WASM loader say whether its module is usable here. */
export function setWasmAvailability(check: () => boolean): void {
  wasmReady = check;
}

/**
 * Choose the kernel backend. `'wasm'` throws when WebAssembly kernels are not
 * available in this environment (the error says why); `'js'` always works.
 */
export function setBackend(name: BackendName): void {
  if (name !== 'js' && name !== 'wasm') throw new RangeError(`unknown backend '${String(name)}' (expected 'js' or 'wasm')`);
  if (name === 'wasm' && !wasmReady()) {
    throw new Error("backend 'wasm' is not available: WebAssembly kernels are not loaded in this environment");
  }
  active = name;
}

/** The active kernel backend. */
export function getBackend(): BackendName {
  return active;
}
