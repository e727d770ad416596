/**
 * Run a test once per kernel backend ('js' and 'wasm'), so every kernel
 * property suite holds both implementations to the float64 references.
 */
import { test } from 'node:test';
import { type BackendName, getBackend, setBackend } from '../src/kernels/backend.js';
// Register the WebAssembly kernels even when the test file does not import the index.
import '../src/kernels/wasm/index.js';

/** The backends available here (wasm loads synchronously in Node). */
export const BACKENDS: BackendName[] = ['js', 'wasm'];

/** `test(name [backend], fn)` for each backend, restoring the previous backend afterwards. */
export function testEachBackend(name: string, fn: () => void | Promise<void>): void {
  for (const b of BACKENDS) {
    test(`${name} [${b}]`, async () => {
      const prev = getBackend();
      setBackend(b);
      try {
        await fn();
      } finally {
        setBackend(prev);
      }
    });
  }
}
