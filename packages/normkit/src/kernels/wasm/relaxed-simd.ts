/**
 * Relaxed SIMD (the WebAssembly proposal finished in 2023): which of the two
 * kernel builds the loader compiles. The relaxed build differs in two
 * places, the matmul's register tiles (assembly/gemm.ts) and GELU's
 * polynomials (assembly/gelu.ts), which use
 * `f32x4.relaxed_madd`: one fused multiply-add where the CPU has FMA (V8
 * emits vfmadd231ps on x86-64 with FMA3, fmla on arm64), else a multiply and
 * an add. Fusing rounds once instead of twice, so results move at the level
 * of float32 rounding (and are more accurate, not less); on one machine they
 * are the same from run to run and for any number of threads.
 *
 * Where it is on: Node 22+ and Chromium 114+ by default; Node 20 behind V8's
 * `--experimental-wasm-relaxed-simd` (pass it to `node`, or call
 * `v8.setFlagsFromString` with it before normkit is imported, as the
 * `normkit` command does). `nk.wasmInfo().relaxedSimd` says which build runs.
 * `NORMKIT_RELAXED_SIMD=0` in the environment (Node) keeps the SIMD-only
 * build, e.g. to compare numbers with a machine that lacks relaxed SIMD.
 *
 * This module has no side effects and loads nothing, so a program can test
 * for relaxed SIMD before it imports normkit.
 */

/**
 * The smallest module whose function uses `f32x4.relaxed_madd` (opcode
 * 0xfd 0x105): `(func (param v128 v128 v128) (result v128)
 * local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)`.
 * `WebAssembly.validate` accepts it exactly where relaxed SIMD is enabled.
 */
export const RELAXED_SIMD_PROBE: Uint8Array = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code section
]);

/** Whether this engine validates relaxed SIMD now (false where WebAssembly is missing). */
export function relaxedSimdSupported(): boolean {
  if (typeof WebAssembly === 'undefined') return false;
  try {
    return WebAssembly.validate(RELAXED_SIMD_PROBE as BufferSource);
  } catch {
    return false;
  }
}

/** False when the environment says `NORMKIT_RELAXED_SIMD=0` (Node only; browsers have no environment). */
export function relaxedSimdWanted(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.['NORMKIT_RELAXED_SIMD'] !== '0';
}
