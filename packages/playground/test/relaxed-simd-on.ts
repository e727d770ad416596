/**
 * Imported before normkit by the browser test: Chromium runs normkit's
 * relaxed-SIMD build (fused multiply-add in the matmul), so Node must run it
 * too for the race's losses to agree number for number (Node 20 needs V8's
 * `--experimental-wasm-relaxed-simd`, set here before normkit compiles its
 * WebAssembly; ES modules evaluate their imports in order).
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from 'normkit/relaxed-simd';

if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
