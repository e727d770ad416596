/**
 * Engine settings of the `normkit` command (Node only), applied by
 * bin/normkit.js before normkit is imported, because the library compiles its
 * WebAssembly when it loads.
 *
 * Relaxed SIMD: Node 20's V8 has it behind `--experimental-wasm-relaxed-simd`
 * (Node 22 ships it on). With it normkit compiles its relaxed build, whose
 * matmul uses fused multiply-add (normkit's src/kernels/wasm/relaxed-simd.ts):
 * the lab's training steps are mostly matmul, and the quick study took
 * 3 min 14 s with it against 3 min 41 s without, its runs 379 against 433
 * seconds (the same commit otherwise, one sitting; docs/BENCHMARKS.md,
 * fourth session). `NORMKIT_RELAXED_SIMD=0` keeps the SIMD-only build.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported, relaxedSimdWanted } from 'normkit/relaxed-simd';

/** Turn relaxed SIMD on unless it is on already or unwanted; returns whether it is on. */
export function enableRelaxedSimd(): boolean {
  if (!relaxedSimdWanted()) return false;
  if (relaxedSimdSupported()) return true;
  // V8 reads its WebAssembly feature flags when it validates or compiles a module,
  // so setting one before the first module is compiled takes effect (workers share the flags).
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
